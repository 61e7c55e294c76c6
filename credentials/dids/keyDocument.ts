import type { DIDDocument } from 'did-resolver'
import type { JWK } from 'jose'

/** W3C DID core context and the JsonWebKey2020 suite context. */
export const DID_CONTEXT = ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1']

/** A DID document with one signing key in the relationships a key-derived DID (did:key, did:jwk) grants it. */
export function keyDocument(did: string, vmId: string, jwk: JWK): DIDDocument {
  return {
    '@context': DID_CONTEXT,
    id: did,
    verificationMethod: [{ id: vmId, type: 'JsonWebKey2020', controller: did, publicKeyJwk: jwk as never }],
    authentication: [vmId],
    assertionMethod: [vmId],
    capabilityInvocation: [vmId],
    capabilityDelegation: [vmId],
  }
}
