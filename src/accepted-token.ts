import type { VerifiedToken } from './verified-token.js';

/**
 * What a verifier tells the guards after it about a token it accepted: the guards are built apart
 * from any verifier (one `requireScope` serves every verifier), yet a refusal must carry that
 * verifier's `resource_metadata` (RFC 9728 §5.1) and a time check must use its clock. Recorded once
 * when a token is first accepted (never on the recall of a cached one, which is the same object);
 * a `WeakMap` leaves the frozen token alone and forgets it with the token.
 */
export interface AcceptingVerifier {
  /** Seconds since the epoch. */
  readonly clock: () => number;
  /** Seconds of clock difference allowed. */
  readonly clockTolerance: number;
  /** The RFC 9728 metadata URL, when the verifier has a `protectedResource`. */
  readonly resourceMetadata: string | undefined;
}

const accepted = new WeakMap<VerifiedToken, AcceptingVerifier>();

/**
 * Records that `verifier` accepted `token`; returns `token`. `undefined` stands for a verifier with
 * the guards' own defaults (system clock, default tolerance, no metadata URL), which is not recorded.
 */
export function recordAcceptance(
  token: VerifiedToken,
  verifier: AcceptingVerifier | undefined,
): VerifiedToken {
  if (verifier !== undefined) accepted.set(token, verifier);
  return token;
}

/** The verifier that accepted `token`, or `undefined` for a token from elsewhere. */
export function acceptingVerifierOf(token: VerifiedToken | undefined): AcceptingVerifier | undefined {
  return token === undefined ? undefined : accepted.get(token);
}
