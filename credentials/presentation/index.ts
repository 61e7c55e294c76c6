export { verifyPresentation, type VerifyPresentationOptions, type VerifyPresentationResult } from './verifyPresentation.ts'
