import type { TokenErrorDetail } from './error-detail.js';
import type { TokenErrorCode } from './errors.js';

/**
 * Structured events for logs and metrics. tokenwarden depends on no logger: pass `onEvent` and send
 * these to pino, `console`, OpenTelemetry or anything else. Events never carry tokens or key material.
 */
export type TokenwardenEvent =
  | {
      /** A token passed every check. */
      readonly type: 'token_verified';
      /** Its `iss`. */
      readonly issuer: string;
      /** Its `sub`, when it has one. */
      readonly subject: string | undefined;
      /** Whether the signature check was answered from the verified-token cache. */
      readonly cached: boolean;
    }
  | {
      /** A request or token was refused. */
      readonly type: 'token_rejected';
      readonly code: TokenErrorCode;
      /** The evidence of `TokenError.detail`: expected and actual values, never the token. */
      readonly detail: TokenErrorDetail | undefined;
    }
  | {
      /** A key set was fetched and parsed. */
      readonly type: 'jwks_fetched';
      readonly uri: string;
      /** Usable signing keys in the new set. */
      readonly keyCount: number;
    }
  | {
      /** A fetch of the key set (or of the discovery document) failed. */
      readonly type: 'jwks_fetch_failed';
      readonly uri: string;
      readonly reason: string;
      /** Whether requests keep being served from the previous, stale key set. */
      readonly servingStale: boolean;
    }
  | {
      /** A token named an unknown `kid` while refetching was cooling down; nothing was fetched. */
      readonly type: 'jwks_cooldown';
      readonly uri: string;
    }
  | {
      /** A key in the set was ignored: private members, too short, wrong use, unusable parameters. */
      readonly type: 'jwks_key_ignored';
      readonly uri: string;
      readonly kid: string | undefined;
      readonly reason: string;
    }
  | {
      /**
       * The DPoP replay store failed or missed its deadline (`dpop.replayStoreTimeoutMs`); the
       * request was refused with 503 `replay_store_unavailable`.
       */
      readonly type: 'replay_store_failed';
      /** What happened: `timed out after 1000 ms`, or the store's error message. */
      readonly reason: string;
    }
  | {
      /**
       * The authorization server could not be asked about a token, or its answer could not be used
       * (unreachable, past the deadline, 5xx, not JSON, too large, no boolean `active`, a signed
       * answer that does not verify); the request was refused with 503 `introspection_unavailable`.
       */
      readonly type: 'introspection_failed';
      /** The introspection endpoint, or the issuer while the endpoint is still being discovered. */
      readonly endpoint: string;
      readonly reason: string;
    }
  | {
      /**
       * The authorization server refused this API's own credentials (HTTP 401 or 403, or
       * `invalid_client`): a configuration error, not a verdict on the token. The request was refused
       * with 503 `introspection_unavailable`.
       */
      readonly type: 'introspection_client_rejected';
      readonly endpoint: string;
      /** The HTTP status of the refusal. */
      readonly status: number;
      readonly reason: string;
    }
  | {
      /**
       * The introspection cache store failed or missed its deadline; the answer was asked of the
       * authorization server instead (on a read) or not kept (on a write).
       */
      readonly type: 'introspection_cache_failed';
      readonly reason: string;
    };

/** Receives {@link TokenwardenEvent}s. Errors it throws are swallowed so logging cannot break auth. */
export type EventListener = (event: TokenwardenEvent) => void;

/** Calls `listener` safely. */
export function emit(listener: EventListener | undefined, event: TokenwardenEvent): void {
  if (listener === undefined) return;
  try {
    listener(event);
  } catch {
    // A failing listener must not change the outcome of authentication.
  }
}
