/**
 * The one fixed time of the tests, in seconds since the epoch: tokens, proofs, issuers and verifiers
 * all read it, so no test depends on the system clock and every run sees the same timeline.
 */
export const NOW = 1_800_000_000;

/** A clock standing still at {@link NOW}, for the `clock` option of verifiers, issuers and stores. */
export const fixedClock = (): number => NOW;

/** A clock the test moves by hand, shared by whatever it is passed to (issuer, verifier, store). */
export interface ManualClock {
  /** The current time in seconds since the epoch; pass this as the `clock` option. */
  readonly now: () => number;
  /** Moves time forward by `seconds`. */
  advance(seconds: number): void;
  /** Sets the time to `seconds`, or to a reading no clock should give (NaN, Infinity). */
  set(seconds: number): void;
}

/** Creates a {@link ManualClock} reading `start` (by default {@link NOW}). */
export function createManualClock(start = NOW): ManualClock {
  let current = start;
  return {
    now: () => current,
    advance(seconds) {
      current += seconds;
    },
    set(seconds) {
      current = seconds;
    },
  };
}
