export { createApp, VERSION, BODY_LIMIT } from './app.ts'
export { createMetrics } from './metrics.ts'
export type { Metrics } from './metrics.ts'
export { ProblemError } from './problem.ts'
