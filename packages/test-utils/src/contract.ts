/**
 * `@superoffice-webhooks/test-utils/contract`: the shared suites every adapter and receiver runs
 * over real HTTP (the answer contract, the tenant status contract), the throttled-processes
 * scenario the stores share, and a sender that retries as SuperOffice does.
 */
export {
  type AdapterContractOptions,
  CONTRACT_MAX_BODY_BYTES,
  CONTRACT_PREVIOUS_SECRET,
  CONTRACT_SECRET,
  type ContractServer,
  runAdapterContract,
} from './adapter-suite.js'
export { sendLikeSuperOffice } from './http.js'
export { runTenantStatusContract, type TenantStatusContractOptions } from './tenant-status-suite.js'
export { runThrottledProcesses } from './throttle-scenario.js'
