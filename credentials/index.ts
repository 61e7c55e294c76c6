/**
 * The DID and verifiable-credential library (keys, DIDs, SD-JWT VC, JWT-VC, status lists, trusted issuers).
 * It is pure: no Express, Redis, environment or system clock, so relying apps can import it to verify offline.
 * Its contents arrive with the KYC credentials work; nothing is exported yet.
 */
export {}
