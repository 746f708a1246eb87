/**
 * The part of oidc-provider (which ships no type declarations) the end-to-end tests use: a provider
 * built from an issuer and a configuration, served through Node's `http` module.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** The provider's configuration; see oidc-provider's docs/README.md for its members. */
  export type Configuration = Readonly<Record<string, unknown>>;

  /** An OpenID Provider / OAuth 2.0 authorization server. */
  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    /** The issuer identifier. */
    readonly issuer: string;
    /** A Node request listener serving every endpoint. */
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }
}
