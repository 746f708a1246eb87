import { TokenError } from './errors.js';
import { type EventListener, emit } from './events.js';
import type { VerifiedToken } from './verified-token.js';

/**
 * The verifier's outcomes as events: `token_verified` once a token is resolved, `token_rejected` for
 * each refusal. Without a listener every method gives back what it was given, adding no promise, no
 * closure and no allocation to the request path.
 */
export interface VerificationReporter {
  /** Reports a resolved token; `cached` when it was recalled rather than verified again. */
  verified(token: VerifiedToken, cached: boolean): void;
  /** `resolution`, reporting its token once it is resolved. */
  whenVerified(resolution: Promise<VerifiedToken>, cached: boolean): Promise<VerifiedToken>;
  /** `outcome`, reporting the refusal if it is rejected with a `TokenError`. */
  whenRejected<T>(outcome: Promise<T>): Promise<T>;
}

const SILENT: VerificationReporter = {
  verified: () => undefined,
  whenVerified: (resolution) => resolution,
  whenRejected: (outcome) => outcome,
};

/** Reports to `onEvent`, which may be absent. */
export function createVerificationReporter(onEvent: EventListener | undefined): VerificationReporter {
  if (onEvent === undefined) return SILENT;
  const verified = (token: VerifiedToken, cached: boolean): void => {
    emit(onEvent, {
      type: 'token_verified',
      issuer: token.claims.iss as string,
      subject: typeof token.claims.sub === 'string' ? token.claims.sub : undefined,
      cached,
    });
  };
  const rejected = (error: unknown): never => {
    if (error instanceof TokenError) {
      emit(onEvent, { type: 'token_rejected', code: error.code, detail: error.detail });
    }
    throw error;
  };
  return {
    verified,
    whenVerified: (resolution, cached) =>
      resolution.then((token) => {
        verified(token, cached);
        return token;
      }),
    whenRejected: (outcome) => outcome.catch(rejected),
  };
}
