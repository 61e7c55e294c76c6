/** Test-only helpers (fixtures with real keys, spec vectors from ../shared/vectors); not part of credentials/index.ts. */
export {
  AUDIENCE, ISSUER, NONCE, NOW, STATUS_URI, SUBJECT, VCT, craftSdJwt, disclosure, makeWorld, setStatus, withDisclosures, type World,
} from './fixtures.ts'
export { VECTORS_DIR, readVector, vectorMissing } from './vectors.ts'
