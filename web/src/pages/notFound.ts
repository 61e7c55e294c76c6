import { startPage } from './common.ts'

/** The page the server sends a browser for an address that has no page (server/http/app.ts), with status 404. */

startPage()
