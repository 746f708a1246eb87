import { fromNodeRequest, type ResourceRequest } from 'tokenwarden';
import { createTestIssuer, type DpopKey, generateDpopKey, type TestIssuer } from 'tokenwarden/testing';
import { fixedClock } from './clock.js';

/**
 * The DPoP tests' common set-up: an API at api.example.test whose requests for `/api/private?page=2`
 * a proof for {@link DPOP_URL_SEEN} covers (RFC 9449 §4.3: htu without query), an ES256 issuer on the
 * fixed clock, the client's DPoP key and another one.
 */

/** The `htu` a proof for {@link apiRequest} names. */
export const DPOP_URL_SEEN = 'http://api.example.test/api/private';

/** A GET of `/api/private?page=2` on api.example.test with `headers`, from `socket`'s peer. */
export function apiRequest(
  headers: Record<string, string | string[]>,
  socket?: { remoteAddress?: string },
): ResourceRequest {
  return fromNodeRequest({
    method: 'GET',
    url: '/api/private?page=2',
    headers: { host: 'api.example.test', ...headers },
    socket,
  });
}

export interface DpopFixture {
  readonly issuer: TestIssuer;
  /** The client's DPoP key, which {@link DpopFixture.boundToken} is bound to. */
  readonly key: DpopKey;
  /** Another key, of another client or a thief. */
  readonly otherKey: DpopKey;
  /** A token with `claims` and `cnf.jkt` naming {@link DpopFixture.key}. */
  readonly boundToken: string;
  /** A token with `claims` and no `cnf`. */
  readonly plainToken: string;
}

/** Starts the issuer and makes the keys and tokens; close `issuer` after the tests. */
export async function createDpopFixture(claims: Record<string, unknown> = {}): Promise<DpopFixture> {
  const issuer = await createTestIssuer({ algorithms: ['ES256'], clock: fixedClock });
  const [key, otherKey] = await Promise.all([generateDpopKey('ES256'), generateDpopKey('ES256')]);
  return {
    issuer,
    key,
    otherKey,
    boundToken: await issuer.signToken({ ...claims, cnf: { jkt: key.thumbprint } }),
    plainToken: await issuer.signToken(claims),
  };
}
