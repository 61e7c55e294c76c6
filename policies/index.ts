/**
 * Cedar policies (approval, disclosure, issuance) and the wrapper that evaluates them with
 * @cedar-policy/cedar-wasm. An evaluation error always denies. Arrives with the signing-approval work;
 * nothing is exported yet.
 */
export {}
