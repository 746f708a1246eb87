import type { Algorithm, AsymmetricAlgorithm } from './algorithms.js';
import type { DpopOptions } from './dpop/proof-of-possession.js';
import type { ExtractOptions } from './extract.js';

/** The security profiles `createVerifier` knows: `'fapi2'`, the FAPI 2.0 Security Profile. */
export type FapiProfile = 'fapi2';

/** The verifier options a profile reads and sets (a part of `VerifierOptions`). */
export interface ProfiledOptions extends ExtractOptions {
  readonly profile?: FapiProfile | undefined;
  readonly algorithms?: readonly Algorithm[] | undefined;
  readonly secret?: string | Uint8Array | undefined;
  readonly clockTolerance?: number | undefined;
  readonly dpop?: DpopOptions | undefined;
  readonly clientIds?: string | readonly string[] | undefined;
}

/** FAPI 2.0 §5.4.1: the only signature algorithms, for access tokens and DPoP proofs alike. */
const FAPI2_ALGORITHMS: readonly AsymmetricAlgorithm[] = ['PS256', 'ES256', 'EdDSA'];

/** FAPI 2.0 clock skew: `iat` up to 10 s in the future is accepted, and never more than 60 s. */
const FAPI2_CLOCK_TOLERANCE = 10;
const FAPI2_MAX_CLOCK_TOLERANCE = 60;

/**
 * The options as the profile makes them: its defaults where an option is unset, and a `TypeError`
 * naming the requirement an option would break. Without a profile, `options` as they are.
 *
 * RSA keys under 2048 bits (FAPI 2.0 §5.4) are refused by every verifier already, key set and proof
 * keys alike; Ed448 is not EdDSA's Ed25519 and is refused everywhere too.
 */
export function withProfile<T extends ProfiledOptions>(options: T): T {
  if (options.profile === undefined) return options;
  if (options.profile !== 'fapi2') {
    throw new TypeError("tokenwarden: profile must be 'fapi2'");
  }
  refuse(
    options.algorithms?.some((alg) => !(FAPI2_ALGORITHMS as readonly string[]).includes(alg)),
    'algorithms',
    'only PS256, ES256 and EdDSA (Ed25519) may sign tokens (FAPI 2.0 §5.4.1)',
  );
  refuse(
    options.secret !== undefined,
    'secret',
    'shared-secret (HS*) signatures are not allowed (FAPI 2.0 §5.4.1)',
  );
  refuse(
    options.dpop?.mode !== undefined && options.dpop.mode !== 'required',
    'dpop.mode',
    'access tokens must be sender-constrained (FAPI 2.0 §5.3.4); DPoP mode must be required',
  );
  refuse(
    options.dpop?.algorithms?.some((alg) => !FAPI2_ALGORITHMS.includes(alg)),
    'dpop.algorithms',
    'only PS256, ES256 and EdDSA (Ed25519) may sign DPoP proofs (FAPI 2.0 §5.4.1)',
  );
  for (const name of ['cookie', 'allowQueryToken', 'getToken'] as const) {
    refuse(
      options[name] !== undefined && options[name] !== false,
      name,
      'the access token is accepted only in the Authorization header (FAPI 2.0 §5.3.4)',
    );
  }
  refuse(
    options.clientIds !== undefined,
    'clientIds',
    'every access token must name this API in its aud (RFC 9068 §4, FAPI 2.0 §5.3.4)',
  );
  refuse(
    options.clockTolerance !== undefined && options.clockTolerance > FAPI2_MAX_CLOCK_TOLERANCE,
    'clockTolerance',
    `a token issued more than ${FAPI2_MAX_CLOCK_TOLERANCE} seconds in the future must be refused (FAPI 2.0 clock skew)`,
  );
  return {
    ...options,
    algorithms: options.algorithms ?? FAPI2_ALGORITHMS,
    clockTolerance: options.clockTolerance ?? FAPI2_CLOCK_TOLERANCE,
    dpop: { ...options.dpop, mode: 'required', algorithms: options.dpop?.algorithms ?? FAPI2_ALGORITHMS },
  };
}

function refuse(weakens: boolean | undefined, option: string, requirement: string): void {
  if (weakens === true) {
    throw new TypeError(`tokenwarden: profile 'fapi2' refuses the ${option} option: ${requirement}`);
  }
}
