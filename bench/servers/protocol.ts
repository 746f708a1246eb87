import type { AddressInfo } from 'node:net';

/** The environment variables through which the bench process hands a server its issuer. */
export const ENV = {
  issuer: 'BENCH_ISSUER',
  audience: 'BENCH_AUDIENCE',
  jwksUri: 'BENCH_JWKS_URI',
} as const;

/** The authorization server every authenticated route trusts, with its key set URL. */
export interface BenchAuthConfig {
  /** `iss` of the tokens, with its trailing slash. */
  readonly issuer: string;
  /** `aud` of the tokens. */
  readonly audience: string;
  /** The key set, served over HTTP by the bench process. */
  readonly jwksUri: string;
}

/**
 * What a route measures. `baseline` is a middleware that does nothing but hand over to the handler:
 * what adding any middleware to a route costs on that framework, the floor for an auth middleware.
 */
export type RouteKind = 'none' | 'baseline' | 'tokenwarden' | 'peer';

/** The subject printed for the `baseline` route of every framework. */
export const BASELINE_SUBJECT = 'do-nothing middleware';

/** A route a server exposes, as it reports it to the bench process. */
export interface BenchRoute {
  /** Request path, e.g. `/peer`. */
  readonly path: string;
  /** What guards it. */
  readonly kind: RouteKind;
  /** The library (or `no auth`), as printed in the table. */
  readonly subject: string;
}

/** The one message a server sends over IPC once it listens. */
export interface ListeningMessage {
  readonly type: 'listening';
  readonly port: number;
  readonly routes: readonly BenchRoute[];
}

/** The body every route answers with, so no route pays more for serialising than another. */
export function routeBody(subject: string | undefined): { ok: true; sub: string | null } {
  return { ok: true, sub: subject ?? null };
}

/** Reads the issuer the bench process started; throws when run outside the bench. */
export function authConfigFromEnv(): BenchAuthConfig {
  const read = (name: string): string => {
    const value = process.env[name];
    if (value === undefined || value === '')
      throw new Error(`${name} is not set: start this via npm run bench`);
    return value;
  };
  return { issuer: read(ENV.issuer), audience: read(ENV.audience), jwksUri: read(ENV.jwksUri) };
}

/**
 * Tells the bench process the port and routes, and exits when it goes away: a server must never
 * outlive the run that started it.
 */
export function announceListening(address: AddressInfo | string | null, routes: readonly BenchRoute[]): void {
  if (address === null || typeof address === 'string') throw new Error('the server is not on a TCP port');
  if (process.send === undefined) throw new Error('no IPC channel: start this via npm run bench');
  const message: ListeningMessage = { type: 'listening', port: address.port, routes };
  process.send(message);
  process.once('disconnect', () => process.exit(0));
}
