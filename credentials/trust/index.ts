export { IssuerKeys } from './issuerKeys.ts'
export { assertVctTrusted, findTrustedIssuer, type TrustedIssuer, type TrustedIssuerList } from './trustedIssuers.ts'
