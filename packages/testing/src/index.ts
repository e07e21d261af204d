export { createTestEvent, newEventId, superOfficeTimestamp, type TestEvent, type TestEventOverrides } from './events.js'
export {
  type SuperOfficeOnline,
  type SuperOfficeOnlineCall,
  type SuperOfficeOnlineOptions,
  type SuperOfficeOnlineTenant,
  type SuperOfficeOnlineTokenOptions,
  startSuperOfficeOnline,
} from './online.js'
export { renderSimulationReport } from './report.js'
export {
  NETSERVER_USER_AGENT,
  type SignedPayload,
  type SignedRequestOptions,
  signedPayload,
  signedRequest,
} from './request.js'
export { findRuntimeBinary } from './runtimes.js'
export {
  type SimulatedAttempt,
  type SimulateOptions,
  type SimulationReport,
  simulateSuperOffice,
} from './simulate.js'
