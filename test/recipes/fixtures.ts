import { readFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { expect } from 'vitest';
import { fixedClock } from '../support/clock.js';

/**
 * What the recipe tests share: a key server standing in for the provider's, an Express app served on
 * 127.0.0.1, and the recipe page itself, so a test can check that the configuration it runs is the
 * one the page prints.
 */

const HOST = '127.0.0.1';

/**
 * The provider's key server: a test issuer whose tokens carry the provider's `iss` (each test sets
 * it), so the verifier is configured with the page's issuer and only its key set URL points here.
 * RS256, as every provider in the recipes signs by default.
 */
export function startKeyServer(): Promise<TestIssuer> {
  return createTestIssuer({ algorithms: ['RS256'], clock: fixedClock });
}

/** The answer of a recipe app to one request. */
export interface RecipeAnswer {
  readonly status: number;
  readonly wwwAuthenticate: string | null;
  readonly body: unknown;
}

/** A recipe app listening on 127.0.0.1. */
export interface RecipeServer {
  /** Sends `GET path` (or another method) with `Authorization: Bearer <token>` when a token is given. */
  request(path: string, token?: string, method?: string): Promise<RecipeAnswer>;
  close(): Promise<void>;
}

/** Serves `listener` (an Express app) on 127.0.0.1 at a free port. */
export async function serveRecipe(listener: RequestListener): Promise<RecipeServer> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, HOST, () => resolve()));
  const origin = `http://${HOST}:${(server.address() as AddressInfo).port}`;
  return {
    async request(path, token, method = 'GET') {
      const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
      const response = await fetch(`${origin}${path}`, { method, headers });
      const text = await response.text();
      return {
        status: response.status,
        wwwAuthenticate: response.headers.get('www-authenticate'),
        body: text === '' ? undefined : JSON.parse(text),
      };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The text of `docs/recipes/<name>.md`. */
export function recipePage(name: string): string {
  return readFileSync(new URL(`../../docs/recipes/${name}.md`, import.meta.url), 'utf8');
}

/**
 * Asserts that the recipe page prints each snippet as it is, so the options a test runs cannot drift
 * from the ones the page tells readers to copy.
 */
export function expectPageToShow(name: string, snippets: readonly string[]): void {
  const page = recipePage(name);
  for (const snippet of snippets) expect(page, `docs/recipes/${name}.md`).toContain(snippet);
}
