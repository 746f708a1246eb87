import { createMemoryReplayStore, type VerifyDpopProofOptions } from 'tokenwarden';
import { fixedClock } from '../support/clock.js';

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

/** Options for a GET to {@link API_URL} at the fixed time, with a fresh replay store. */
export function requestOptions(
  proof: VerifyDpopProofOptions['proof'],
  overrides: Partial<VerifyDpopProofOptions> = {},
): VerifyDpopProofOptions {
  return {
    proof,
    method: 'GET',
    url: API_URL,
    replayStore: createMemoryReplayStore({ clock: fixedClock }),
    clock: fixedClock,
    ...overrides,
  };
}
