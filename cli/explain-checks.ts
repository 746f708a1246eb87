import type { TokenErrorDetail } from '../src/error-detail.js';
import { TokenError } from '../src/errors.js';

/** One check, passed or failed, with its evidence and a likely fix. */
export interface CheckReport {
  readonly name: string;
  readonly ok: boolean;
  /** The verifier stopped before this check (an issuer refused before its keys are fetched). */
  readonly skipped?: boolean | undefined;
  readonly message: string;
  readonly detail?: TokenErrorDetail | undefined;
  readonly hints: readonly string[];
}

/** Runs one of the verifier's rule functions: passed, or failed with its error's message and detail. */
export function rule(
  name: string,
  check: () => void,
  success: string,
  extraHints: readonly string[] = [],
): CheckReport {
  try {
    check();
    return passed(name, success);
  } catch (error) {
    return failedWith(name, error, extraHints);
  }
}

/** {@link rule} for a rule function that returns a promise. */
export async function asyncRule(
  name: string,
  check: () => Promise<unknown>,
  success: string,
  extraHints: readonly string[] = [],
): Promise<CheckReport> {
  try {
    await check();
    return passed(name, success);
  } catch (error) {
    return failedWith(name, error, extraHints);
  }
}

/** The line of a rule that refused: its message, its detail and the detail's hint first. */
export function failedWith(name: string, error: unknown, extraHints: readonly string[] = []): CheckReport {
  const detail = error instanceof TokenError ? error.detail : undefined;
  const hints = [...(detail?.hint === undefined ? [] : [detail.hint]), ...extraHints];
  return failed(name, messageOf(error), detail, hints);
}

export function passed(name: string, message: string): CheckReport {
  return { name, ok: true, message, hints: [] };
}

export function failed(
  name: string,
  message: string,
  detail: TokenErrorDetail | undefined,
  hints: readonly string[],
): CheckReport {
  return { name, ok: false, message, detail, hints };
}

/** A check the verifier never reached, for the reason given. */
export function notChecked(name: string, reason: string): CheckReport {
  return { name, ok: false, skipped: true, message: `not checked: ${reason}`, hints: [] };
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `in 2 h`, `3 h ago`: how far a NumericDate is from now. */
export function relative(value: unknown, now: number): string {
  if (typeof value !== 'number') return 'never (no exp)';
  const seconds = Math.round(value - now);
  const size = Math.abs(seconds);
  if (size < 2) return 'just now';
  const amount =
    size < 120
      ? `${size} s`
      : size < 7200
        ? `${Math.round(size / 60)} min`
        : size < 172_800
          ? `${Math.round(size / 3600)} h`
          : `${Math.round(size / 86_400)} d`;
  return seconds >= 0 ? `in ${amount}` : `${amount} ago`;
}
