import { TokenError } from '../errors.js';
import { type EventListener, emit } from '../events.js';
import { FetchFailure } from '../jwks/fetch-json.js';

/**
 * The authorization server could not be asked, or its answer cannot be used. `message` is short and
 * safe to log: it never holds the token, a credential or the body of the answer.
 */
export class IntrospectionFailure extends Error {
  /** The HTTP status of an answer refused for its status, when that is the failure. */
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.name = 'IntrospectionFailure';
    this.status = status;
  }
}

/**
 * The authorization server refused this API's own credentials (RFC 7662 §2.3, RFC 6749 §5.2): a
 * configuration error, reported as such and never as a verdict on the token.
 */
export class ClientRejectedFailure extends IntrospectionFailure {
  declare readonly status: number;

  constructor(message: string, status: number) {
    super(message, status);
    this.name = 'ClientRejectedFailure';
  }
}

/**
 * Turns a failure to get a usable answer into the 503 the client receives, reporting it to
 * `onEvent` first. A {@link TokenError} (a verdict on the token) passes through unchanged.
 */
export function unavailable(
  error: unknown,
  endpoint: string,
  onEvent: EventListener | undefined,
): TokenError {
  if (error instanceof TokenError) return error;
  const known = error instanceof IntrospectionFailure || error instanceof FetchFailure;
  const reason = known ? error.message : 'unexpected failure';
  const status = known ? error.status : undefined;
  if (error instanceof ClientRejectedFailure) {
    emit(onEvent, { type: 'introspection_client_rejected', endpoint, status: error.status, reason });
  } else {
    emit(onEvent, { type: 'introspection_failed', endpoint, reason });
  }
  return new TokenError(
    'introspection_unavailable',
    'The authorization server cannot confirm the token right now',
    {
      cause: error,
      detail: {
        uri: endpoint,
        reason,
        ...(status !== undefined && { status }),
        ...(error instanceof ClientRejectedFailure && {
          hint: "The authorization server refused this API's client credentials: check clientId and clientAuthentication",
        }),
      },
    },
  );
}

/**
 * The clock's reading in seconds. Without a finite time no cached answer can be judged fresh, nor a
 * signed answer's `iat`: the request is refused as the server's trouble rather than answered blind.
 */
export function readClock(clock: () => number): number {
  const now = clock();
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new IntrospectionFailure('the clock gave no finite time');
  }
  return now;
}
