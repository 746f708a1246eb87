import { base64url } from 'jose';
import {
  createMemoryReplayStore,
  TokenError,
  type TokenErrorCode,
  type VerifyDpopProofOptions,
} from 'tokenwarden';
import { expect } from 'vitest';

/** The fixed time of the generated proofs: seconds since the epoch. */
export const NOW = 1_760_000_000;
export const clock = (): number => NOW;
export const API_URL = 'https://api.example.test/messages';

/**
 * RFC 9449 §4.1 (Figure 2 of the RFC): the proof a client sends to a token endpoint, with the
 * key of §4.1 and the thumbprint of §6.1.
 */
export const RFC_TOKEN_PROOF =
  'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg';
export const RFC_TOKEN_PROOF_IAT = 1562262616;

/** RFC 9449 §7.1 (Figure 13): the proof sent with the access token to a protected resource. */
export const RFC_RESOURCE_PROOF =
  'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA';
export const RFC_RESOURCE_PROOF_IAT = 1562262618;
/** RFC 9449 §7.1: the DPoP-bound access token of the resource request. */
export const RFC_ACCESS_TOKEN = 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU';
/** RFC 9449 §6.1: `cnf.jkt` of tokens bound to the example key. */
export const RFC_JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';

/** Options for a GET to {@link API_URL} at {@link NOW}, with a fresh replay store. */
export function requestOptions(
  proof: VerifyDpopProofOptions['proof'],
  overrides: Partial<VerifyDpopProofOptions> = {},
): VerifyDpopProofOptions {
  return {
    proof,
    method: 'GET',
    url: API_URL,
    replayStore: createMemoryReplayStore({ clock }),
    clock,
    ...overrides,
  };
}

/** Replaces one part (0 header, 1 payload) of a compact JWS with new JSON, keeping the rest. */
export function withPart(jws: string, index: 0 | 1, change: (json: Record<string, unknown>) => void): string {
  const parts = jws.split('.');
  const json = JSON.parse(new TextDecoder().decode(base64url.decode(parts[index] as string)));
  change(json);
  parts[index] = base64url.encode(JSON.stringify(json));
  return parts.join('.');
}

/** A compact JWS from raw parts, for proofs no signing library would produce. */
export function assembleJws(header: object, payload: object, signature = ''): string {
  return `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}.${signature}`;
}

/** Asserts a rejection with a {@link TokenError} of `code` whose message matches `reason`. */
export async function expectDpopError(
  promise: Promise<unknown>,
  code: TokenErrorCode,
  reason: RegExp,
): Promise<TokenError> {
  const error = await promise.then(
    () => expect.fail(`expected ${code}, but the proof was accepted`),
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(TokenError);
  const dpopError = error as TokenError;
  expect(dpopError.code).toBe(code);
  expect(dpopError.message).toMatch(reason);
  return dpopError;
}
