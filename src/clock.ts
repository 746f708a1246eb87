import { TokenError } from './errors.js';

/**
 * Time in tokenwarden is seconds since the epoch, read from an injected `clock` option so that tests
 * never sleep; this is the clock used when none is given.
 */
export const systemClock = (): number => Date.now() / 1000;

/** Seconds of clock difference allowed by default, wherever a `clockTolerance` option is left out. */
export const DEFAULT_CLOCK_TOLERANCE = 60;

/**
 * The clock's reading for the claim checks. One that is not a finite number (NaN, Infinity, a string)
 * fails closed: NaN makes every time comparison false, so an expired token would pass.
 */
export function claimClockReading(clock: () => number): number {
  const now = clock();
  if (!Number.isFinite(now)) {
    throw new TokenError(
      'claim_invalid',
      "The token's times cannot be checked: the server clock gave no time",
    );
  }
  return now;
}
