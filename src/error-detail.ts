/**
 * Evidence about a refusal, for the server's logs: what was expected and what was found. Never sent
 * to the client (`toErrorResponse` leaves it out), never carries the token or key material, and is
 * built only once a check has failed, so the accepting path pays nothing for it.
 *
 * Values taken from the token are the sender's words: {@link tokenValue} caps their length.
 */
export interface TokenErrorDetail {
  /** The claim or header parameter the check looked at (`iss`, `aud`, `exp`, `kid`...). */
  readonly claim?: string;
  /** What this verifier accepts (issuers, audiences, the token type). */
  readonly expected?: readonly string[] | string;
  /** What the token carries, capped in length. */
  readonly actual?: readonly string[] | string | number;
  /** For time errors: the server's clock, seconds since the epoch. */
  readonly now?: number;
  /** For time errors: the clock tolerance applied, in seconds. */
  readonly clockTolerance?: number;
  /** For `key_not_found`: the token's `kid`, capped in length (`undefined` when it has none). */
  readonly kid?: string | undefined;
  /** For `key_not_found`: the `kid`s of the key set in hand (at most 20). */
  readonly availableKids?: readonly string[];
  /**
   * For `jwks_unavailable`: the key set (or discovery) URL; for `introspection_unavailable` and
   * `token_inactive`: the introspection endpoint (or the issuer, before discovery found it).
   */
  readonly uri?: string;
  /** For `jwks_unavailable` and `introspection_unavailable`: why the last fetch failed. */
  readonly reason?: string;
  /** For `jwks_unavailable` and `introspection_unavailable`: the HTTP status answered, when one was. */
  readonly status?: number;
  /** A likely fix, when the failure has a well-known cause (a trailing slash, an ID token...). */
  readonly hint?: string;
}

/** Longest value copied from a token into a detail, in characters. */
const MAX_VALUE_LENGTH = 120;
/** Most values copied from one claim (an `aud` array) into a detail. */
const MAX_VALUES = 10;

/** A value from the token, as a short string: its sender chose it, so its size is bounded here. */
export function tokenValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = typeof value;
    }
  }
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH)}…` : text;
}

/** A claim that may be a string or an array (`aud`), as a short list of short strings. */
export function tokenValues(value: unknown): readonly string[] {
  const values = Array.isArray(value) ? value : [value];
  return values.slice(0, MAX_VALUES).map(tokenValue);
}
