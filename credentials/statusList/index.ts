export { checkStatus, statusReferenceOf, StatusListCache, type CheckStatusOptions, type FetchStatusList, type StatusReference } from './checkStatus.ts'
export {
  StatusValue, createStatusList, decodeStatusList, encodeStatusList, getStatus, setStatus, statusListSize,
  type EncodedStatusList, type StatusBits, type StatusList,
} from './statusList.ts'
export {
  STATUS_LIST_TYP, createStatusListToken, verifyStatusListToken,
  type CreateStatusListTokenOptions, type StatusListKeyResolver, type VerifyStatusListTokenOptions, type VerifyStatusListTokenResult,
} from './token.ts'
export { deflate, inflate } from './zlib.ts'
