export { decodeJws, type DecodedJws } from './compact.ts'
export { signJws, signJwsWithHeader } from './sign.ts'
export { checkTimeClaims, epochSeconds, type CheckTimeClaimsOptions } from './timeClaims.ts'
export { verifyJwsSignature } from './verify.ts'
