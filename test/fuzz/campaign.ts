/**
 * How many cases a fuzz property runs, and how long it may take: few in `npm test`, many in the
 * `npm run fuzz` campaign, which sets FUZZ_RUNS. The time allowed grows with the case count, so the
 * long campaign is not cut short by the suite's 20 s test timeout, while a hung case still ends it.
 */

/**
 * The case count per property: FUZZ_RUNS when set, `quick` otherwise. FUZZ_RUNS is a string from
 * the environment; anything but a positive integer is refused rather than read as NaN or 0 runs.
 */
export function fuzzRuns(quick: number): number {
  const value = process.env.FUZZ_RUNS;
  if (value === undefined || value === '') return quick;
  if (!/^[1-9][0-9]*$/.test(value)) {
    throw new TypeError(`FUZZ_RUNS must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** The suite's default test timeout (vitest.config.ts), in milliseconds: the floor for a property. */
const SUITE_TIMEOUT_MS = 20_000;

/**
 * A property's timeout in milliseconds: `msPerRun` for each of `runs` cases, never less than the
 * suite's default. Budget several times a case's measured cost: the machine running the campaign
 * may be shared.
 */
export function fuzzTimeout(runs: number, msPerRun: number): number {
  return Math.max(SUITE_TIMEOUT_MS, runs * msPerRun);
}
