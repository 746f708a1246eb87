import { base64url } from 'jose';
import { systemClock } from '../clock.js';
import {
  checkKnownKeys,
  nonNegativeNumber,
  optionalFunction,
  optionKeys,
  optionsObject,
} from '../option-checks.js';

/** How a nonce found in a proof compares with the server's. */
export type DpopNonceStatus = 'current' | 'previous' | 'invalid';

/** Server-provided nonces (RFC 9449 §8, §9), as {@link createDpopNonces} makes them. */
export interface DpopNonces {
  /** The nonce of the current window, for the `DPoP-Nonce` response header. */
  current(): Promise<string>;
  /**
   * Whether `nonce` (the proof's `nonce` claim, of any type) is the current window's, the previous
   * window's, or neither.
   */
  check(nonce: unknown): Promise<DpopNonceStatus>;
}

/** Options for {@link createDpopNonces}. Defaults in brackets. */
export interface DpopNonceOptions {
  /**
   * The HMAC key, at least 32 bytes (a string is taken as UTF-8). Every instance of the API must
   * share it so that they all issue and accept the same nonces.
   */
  readonly secret: string | Uint8Array;
  /** Seconds between nonce rotations; a nonce is accepted for one to two periods. [300] */
  readonly rotationPeriod?: number | undefined;
  /** Seconds since the epoch; inject one in tests. [system clock] */
  readonly clock?: (() => number) | undefined;
}

const NONCE_OPTION_KEYS = optionKeys<DpopNonceOptions>({ secret: true, rotationPeriod: true, clock: true });

/** RFC 2104 §3 / RFC 7518 §3.2: an HMAC-SHA-256 key should be at least as long as the hash. */
const MIN_SECRET_BYTES = 32;
/** Keeps these MACs apart from anything else the same secret might be used for. */
const CONTEXT = 'tokenwarden DPoP nonce v1:';

/**
 * Stateless server nonces for DPoP (RFC 9449 §8 and §9): the nonce of a time window is
 * base64url(HMAC-SHA-256(secret, window number)), so instances sharing the secret agree on it with
 * no shared state, provided their clocks agree to well within a period. The previous window's nonce
 * stays valid, so a client that fetched a nonce just before a rotation is not refused; when it uses
 * one, `verifyDpopProof` reports the current nonce for the response's `DPoP-Nonce` header (§8.2).
 *
 * Nonces are not secrets (any client gets one from a 401), so they are compared as plain strings.
 *
 * @example
 * ```ts
 * const nonces = createDpopNonces({ secret: process.env.DPOP_NONCE_SECRET });
 * await verifyDpopProof({ proof, method, url, replayStore, nonces });
 * ```
 */
export function createDpopNonces(options: DpopNonceOptions): DpopNonces {
  optionsObject(options, 'createDpopNonces options');
  checkKnownKeys(options, NONCE_OPTION_KEYS, '');
  // A copy: later changes to the caller's buffer must not change the nonces.
  const secret =
    typeof options.secret === 'string'
      ? new TextEncoder().encode(options.secret)
      : options.secret instanceof Uint8Array
        ? Uint8Array.from(options.secret)
        : undefined;
  if (secret === undefined || secret.byteLength < MIN_SECRET_BYTES) {
    throw new TypeError(`tokenwarden: the DPoP nonce secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  const rotationPeriod = nonNegativeNumber(options.rotationPeriod, 'rotationPeriod', 300, 'seconds');
  if (rotationPeriod === 0) {
    throw new TypeError(
      'tokenwarden: rotationPeriod must be a positive number of seconds (got the number 0)',
    );
  }
  const clock = optionalFunction(options.clock, 'clock') ?? systemClock;
  const key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  // Only two windows are ever asked for at a time; remembering their nonces saves an HMAC per request.
  const remembered = new Map<number, Promise<string>>();

  function nonceFor(window: number): Promise<string> {
    let nonce = remembered.get(window);
    if (nonce === undefined) {
      nonce = key.then(async (hmacKey) => {
        const mac = await crypto.subtle.sign(
          'HMAC',
          hmacKey,
          new TextEncoder().encode(`${CONTEXT}${window}`),
        );
        return base64url.encode(new Uint8Array(mac));
      });
      for (const old of remembered.keys()) if (old < window - 1 || old > window + 1) remembered.delete(old);
      remembered.set(window, nonce);
    }
    return nonce;
  }

  function currentWindow(): number {
    const now = clock();
    // A NaN reading would name one window for ever, and so one nonce valid for ever.
    if (!Number.isFinite(now)) throw new Error('tokenwarden: the DPoP nonce clock gave no finite time');
    return Math.floor(now / rotationPeriod);
  }

  return {
    current: async () => nonceFor(currentWindow()),
    async check(nonce) {
      if (typeof nonce !== 'string' || nonce === '') return 'invalid';
      const window = currentWindow();
      if (nonce === (await nonceFor(window))) return 'current';
      if (nonce === (await nonceFor(window - 1))) return 'previous';
      return 'invalid';
    },
  };
}
