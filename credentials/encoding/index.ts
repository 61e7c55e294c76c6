export { decodeBase64url, encodeBase64url } from './base64url.ts'
export { decodeBase64urlJson, encodeBase64urlJson, isObject, utf8 } from './utf8.ts'
