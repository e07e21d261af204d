export { createTestEvent, newEventId, superOfficeTimestamp, type TestEvent, type TestEventOverrides } from './events.js'
export {
  NETSERVER_USER_AGENT,
  type SignedPayload,
  type SignedRequestOptions,
  signedPayload,
  signedRequest,
} from './request.js'
export {
  type SimulatedAttempt,
  type SimulateOptions,
  type SimulationReport,
  simulateSuperOffice,
} from './simulate.js'
