export { storeContract } from './storeContract.ts'
export type { StoreContractOptions } from './storeContract.ts'
