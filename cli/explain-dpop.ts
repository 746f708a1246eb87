import type { AccessTokenClaims } from '../src/claims.js';
import { boundThumbprintOf, checkDpopBinding } from '../src/dpop/binding.js';
import { normaliseHttpUri } from '../src/dpop/htu.js';
import type { DpopNonces } from '../src/dpop/nonce.js';
import { DEFAULT_DPOP_ALGORITHMS, DEFAULT_IAT_WINDOW, DEFAULT_MAX_PROOF_SIZE } from '../src/dpop/proof.js';
import {
  checkAccessTokenHash,
  checkNonce,
  checkProofAge,
  checkRequest,
  type DpopProofClaims,
  readProofClaims,
} from '../src/dpop/proof-claims.js';
import {
  type CheckedHeader,
  checkProofHeader,
  singleProof,
  thumbprintOf,
  verifyProofSignature,
} from '../src/dpop/proof-header.js';
import {
  asyncRule,
  type CheckReport,
  failed,
  failedWith,
  notChecked,
  passed,
  relative,
  rule,
} from './explain-checks.js';

/**
 * `tokenwarden explain --dpop`: the DPoP proof checked against the token (RFC 9449 §4.3, §7.1, §8),
 * one line per rule, each line running the verifier's own rule function, so every failing rule
 * shows. The verdict stays the verifier's: `authenticate` of the request rebuilt from the options.
 */

/** What the command line says about the request the proof came with. */
export interface DpopRequest {
  /** The `DPoP` header: the proof. */
  readonly proof: string;
  readonly method: string;
  /** The URL the API saw the request at, as its client addressed it. */
  readonly url: string;
  /** The nonce the API requires (its last `DPoP-Nonce`), when it requires one. */
  readonly nonce?: string | undefined;
}

/** What the report shows of a proof: never its text, its signature or its key. */
export interface ProofSummary {
  readonly typ?: unknown;
  readonly alg?: unknown;
  /** RFC 7638 thumbprint of the proof's key. */
  readonly thumbprint?: string | undefined;
  readonly claims?: Pick<DpopProofClaims, 'htm' | 'htu' | 'iat' | 'ath' | 'nonce'> | undefined;
}

/**
 * The nonces of an API whose current nonce is the one given with --nonce: `checkNonce` then judges
 * the proof's nonce as the API's `createDpopNonces` judges one of the current window.
 */
export function givenNonce(nonce: string): DpopNonces {
  return {
    current: async () => nonce,
    check: async (value) => (value === nonce ? 'current' : 'invalid'),
  };
}

/** One line per proof check, cheapest first as the verifier runs them, and what the proof holds. */
export async function explainProof(
  request: DpopRequest,
  token: string,
  claims: AccessTokenClaims,
  now: number,
  clockTolerance: number,
): Promise<{ checks: CheckReport[]; proof: ProofSummary }> {
  let header: CheckedHeader;
  try {
    header = checkProofHeader(
      singleProof(request.proof, DEFAULT_MAX_PROOF_SIZE),
      new Set(DEFAULT_DPOP_ALGORITHMS),
    );
  } catch (error) {
    const rest = ['cnf.jkt', 'proof sig', 'htm', 'htu', 'proof iat', 'ath', 'nonce'];
    return {
      checks: [
        failedWith('proof header', error),
        ...rest.map((name) => notChecked(name, 'the proof header is refused')),
      ],
      proof: {},
    };
  }
  const checks: CheckReport[] = [
    passed('proof header', `typ dpop+jwt, alg ${header.alg}, a public ${String(header.jwk.kty)} key`),
  ];
  let thumbprint: string | undefined;
  try {
    thumbprint = await thumbprintOf(header.jwk);
  } catch (error) {
    checks.push(failedWith('proof key', error));
  }
  if (thumbprint !== undefined) {
    const key = thumbprint;
    checks.push(
      rule(
        'cnf.jkt',
        () => checkDpopBinding(claims, key),
        `the token is bound to the proof's key ${key}`,
        boundThumbprintOf(claims) === undefined
          ? [
              'The token has no cnf.jkt: it was issued as a Bearer token. To get a bound one, the client sends a DPoP proof to the token endpoint; otherwise send it as Authorization: Bearer without --dpop',
            ]
          : [],
      ),
    );
  }
  let made: DpopProofClaims;
  try {
    made = readProofClaims(await verifyProofSignature(request.proof, header.jwk, header.alg));
  } catch (error) {
    checks.push(failedWith('proof sig', error));
    for (const name of ['htm', 'htu', 'proof iat', 'ath', 'nonce']) {
      checks.push(notChecked(name, 'the proof signature or payload is refused'));
    }
    return { checks, proof: { typ: header.header.typ, alg: header.alg, thumbprint } };
  }
  checks.push(passed('proof sig', 'signed by the key in its header'));
  const requestUri = normaliseHttpUri(request.url) as string;
  // checkRequest judges htm, then htu; each line hands it the other one as the request has it, so
  // that both mismatches show.
  checks.push(
    rule(
      'htm',
      () => checkRequest({ ...made, htu: requestUri }, request.method, requestUri),
      `htm ${request.method}`,
    ),
    rule(
      'htu',
      () => checkRequest({ ...made, htm: request.method }, request.method, requestUri),
      `htu ${requestUri}`,
    ),
  );
  const window = DEFAULT_IAT_WINDOW + clockTolerance;
  checks.push(
    rule(
      'proof iat',
      () => checkProofAge(made, now, { iatWindow: DEFAULT_IAT_WINDOW, clockTolerance }),
      `made ${relative(made.iat, now)}, within ${window} s of the server clock`,
    ),
    await asyncRule('ath', () => checkAccessTokenHash(made, token), 'ath is the hash of this access token'),
  );
  if (request.nonce === undefined) {
    checks.push(
      passed(
        'nonce',
        made.nonce === undefined
          ? 'none (give --nonce when the API requires one)'
          : 'the proof has one; give --nonce to compare it with the one the API requires',
      ),
    );
  } else {
    const nonces = givenNonce(request.nonce);
    checks.push(
      await asyncRule(
        'nonce',
        () => checkNonce(made, nonces),
        'the proof carries the nonce the API requires',
      ),
    );
  }
  const { htm, htu, iat, ath, nonce } = made;
  return {
    checks,
    proof: { typ: header.header.typ, alg: header.alg, thumbprint, claims: { htm, htu, iat, ath, nonce } },
  };
}

/** The line for a token bound to a key (`cnf.jkt`) explained without its proof. */
export function boundWithoutProof(claims: AccessTokenClaims): CheckReport | undefined {
  const jkt = boundThumbprintOf(claims);
  if (jkt === undefined) return undefined;
  return failed(
    'dpop',
    'The token is DPoP-bound (cnf.jkt): tokenwarden accepts it only with a DPoP proof of its key',
    { claim: 'cnf.jkt', expected: jkt },
    [
      'The client must send Authorization: DPoP <token> and a DPoP header holding a proof; to check one here, give --dpop <proof> --method <M> --url <U>',
    ],
  );
}
