/**
 * `npm run bench`: each section measures one target of issue 13 and returns its figures.
 * index.ts runs the sections in turn, prints one table of every figure and a final JSON line.
 */
export interface BenchOptions {
  /** `--quick`: small sizes, for CI's smoke run (figures printed, no thresholds asserted). */
  quick: boolean;
  /** PostgreSQL for the service's read model; undefined: the embedded default (PGlite under a temp DATA_DIR). */
  databaseUrl?: string;
  /** Progress lines go to stderr; the table and the JSON line to stdout. */
  log: (line: string) => void;
}

export interface Figure {
  /** e.g. "P1 lifecycle throughput ours/bare (median)" */
  name: string;
  /** The measured value, with its unit: "0.81", "212 ms", "388 MB". */
  value: string;
  /** The target in words: "≥ 0.75", "≤ 2 × bare"; absent when informational. */
  target?: string;
  /** Whether the measured value meets the target; absent when there is none. */
  met?: boolean;
}

export interface SectionResult {
  figures: Figure[];
  /** Raw measurements for the final JSON line, under the section's name. */
  json: Record<string, unknown>;
}

export interface Section {
  name: string;
  run(o: BenchOptions): Promise<SectionResult>;
}
