/**
 * The `WWW-Authenticate` model: each challenge is a scheme with its auth-params in order (RFC 9110
 * §11.6.1), built in one place (`errors.ts`) and formatted here. A feature that announces something
 * more (RFC 9728 `resource_metadata`, RFC 9470 `acr_values`) adds a parameter, not a format.
 */

/** One auth-param: its name and its value, sent as a quoted-string. */
export type AuthParam = readonly [name: string, value: string];

/** One challenge of a `WWW-Authenticate` header. */
export interface Challenge {
  /** The auth-scheme, e.g. `Bearer` or `DPoP`. */
  readonly scheme: string;
  /** Its parameters, sent in this order. */
  readonly params: readonly AuthParam[];
}

/**
 * The header value for `challenges` (RFC 9110 §11.6.1): comma-separated, each the scheme alone or
 * followed by its `name="value"` parameters, comma-separated.
 */
export function formatChallenges(challenges: readonly Challenge[]): string {
  return challenges
    .map(({ scheme, params }) =>
      params.length === 0
        ? scheme
        : `${scheme} ${params.map(([name, value]) => `${name}=${quotedString(value)}`).join(', ')}`,
    )
    .join(', ');
}

/**
 * RFC 9110 §5.6.4: `"` and `\` are escaped as quoted-pairs; what a quoted-string cannot carry at all
 * (control characters) or should not (anything beyond printable ASCII, which recipients read in
 * differing charsets) is left out.
 */
function quotedString(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, '').replace(/["\\]/g, '\\$&')}"`;
}

/**
 * RFC 6750 §3: `error_description` and `scope` values are printable ASCII without `"` and `\`, so
 * those two are dropped rather than escaped.
 */
export function rfc6750Value(value: string): string {
  return value.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '');
}
