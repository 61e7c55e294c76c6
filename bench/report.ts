import fs from 'node:fs'

/** One line of the combined table `npm run bench` prints. */
export interface BenchRow {
  figure: string
  sigil: number
  unit: string
  reference?: { name: string; value: number }
  /** The goal in words, and whether this run met it. */
  goal?: { text: string; met: boolean }
}

/**
 * Hands a benchmark's headline figures to bench/all.ts, which sets SIGIL_BENCH_JSON to a file per script.
 * Run on its own, a benchmark prints its own table and this does nothing.
 */
export function reportRows(rows: BenchRow[]): void {
  const file = process.env.SIGIL_BENCH_JSON
  if (file) fs.writeFileSync(file, JSON.stringify(rows))
}
