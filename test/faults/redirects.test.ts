import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVerifier } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { describe, expect, it } from 'vitest';
import { recordEvents } from '../jwks/jwks-fixtures.js';
import { outcomeOf } from '../support/rejection.js';
import { closeAfterTest, setUpFaultyJwks } from './fault-fixtures.js';

/** The most redirects one metadata fetch follows (docs/jwks.md). */
const MAX_REDIRECTS = 5;

/** How the hops of a {@link RedirectChain} answer. */
interface RedirectChainOptions {
  /** Milliseconds each redirect waits before answering. [0] */
  readonly delayMs?: number | undefined;
  /** Redirects send a body that never ends, which the client must abandon. [false] */
  readonly endlessBodies?: boolean | undefined;
}

/** A real server on 127.0.0.1 where `/hop/<n>` redirects to `/hop/<n - 1>` and `/hop/0` is the key set. */
interface RedirectChain {
  /** The URL `hops` redirects away from the key set. */
  urlWithHops(hops: number): string;
  /** Paths requested, in order. */
  readonly requested: string[];
  /** Resolves once every redirect response sent so far has had its connection closed by the client. */
  redirectBodiesReleased(): Promise<void>;
  close(): Promise<void>;
}

async function startRedirectChain(
  issuer: TestIssuer,
  options: RedirectChainOptions = {},
): Promise<RedirectChain> {
  const requested: string[] = [];
  const redirectsClosed: Promise<void>[] = [];
  const server = createServer((req, res) => {
    res.on('error', () => undefined);
    requested.push(req.url ?? '');
    const hop = Number(/^\/hop\/(\d+)$/.exec(req.url ?? '')?.[1] ?? Number.NaN);
    if (Number.isNaN(hop)) {
      res.writeHead(404).end();
    } else if (hop === 0) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(issuer.jwks()));
    } else {
      redirectsClosed.push(new Promise((resolve) => res.on('close', () => resolve())));
      // A relative Location: resolved against this hop's URL, it names the next hop.
      setTimeout(
        () => sendRedirect(res, String(hop - 1), options.endlessBodies === true),
        options.delayMs ?? 0,
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const chain: RedirectChain = {
    urlWithHops: (hops) => `${origin}/hop/${hops}`,
    requested,
    redirectBodiesReleased: async () => {
      await Promise.all(redirectsClosed);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  closeAfterTest(chain);
  return chain;
}

function sendRedirect(res: ServerResponse, location: string, endlessBody: boolean): void {
  res.writeHead(302, { location, 'content-type': 'text/plain' });
  if (!endlessBody) {
    res.end('moved');
    return;
  }
  res.write('moved ');
  const timer = setInterval(() => res.write('.'), 20);
  res.on('close', () => clearInterval(timer));
}

async function setUp(options: RedirectChainOptions & { readonly timeoutMs?: number } = {}) {
  const issuer = await createTestIssuer({ algorithms: ['ES256'] });
  closeAfterTest(issuer);
  const chain = await startRedirectChain(issuer, options);
  const events = recordEvents();
  const verifierFor = (jwksUri: string) =>
    createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri,
      jwksOptions: { timeoutMs: options.timeoutMs ?? 5000 },
      onEvent: events.listener,
    });
  return { issuer, chain, events, verifierFor };
}

describe('Metadata redirects over real sockets: hop by hop, at most five', () => {
  it('follows five redirects with relative Locations to the key set', async () => {
    const { issuer, chain, verifierFor } = await setUp();
    const verifier = verifierFor(chain.urlWithHops(MAX_REDIRECTS));

    expect(await outcomeOf(verifier, await issuer.signToken())).toBe('verified');
    expect(chain.requested).toEqual(['/hop/5', '/hop/4', '/hop/3', '/hop/2', '/hop/1', '/hop/0']);
  });

  it('refuses a sixth redirect without requesting where it points', async () => {
    const { issuer, chain, events, verifierFor } = await setUp();
    const verifier = verifierFor(chain.urlWithHops(MAX_REDIRECTS + 1));

    expect(await outcomeOf(verifier, await issuer.signToken())).toBe('jwks_unavailable');
    expect(chain.requested).toEqual(['/hop/6', '/hop/5', '/hop/4', '/hop/3', '/hop/2', '/hop/1']);
    expect(events.ofType('jwks_fetch_failed').map((event) => event.reason)).toEqual([
      'more than 5 redirects',
    ]);
  });

  it('stops a redirect loop after five redirects per attempt', async () => {
    const setup = await setUpFaultyJwks();
    setup.server.fault = 'redirect-loop';

    expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('jwks_unavailable');
    expect(setup.server.requests).toMatchObject({ jwks: 1, redirects: MAX_REDIRECTS });
    expect(setup.events.ofType('jwks_fetch_failed')[0]?.reason).toBe('more than 5 redirects');
  });

  it('keeps one deadline across all hops, not one per hop', async () => {
    const { issuer, chain, events, verifierFor } = await setUp({ delayMs: 150, timeoutMs: 500 });
    const verifier = verifierFor(chain.urlWithHops(MAX_REDIRECTS));

    expect(await outcomeOf(verifier, await issuer.signToken())).toBe('jwks_unavailable');
    expect(events.ofType('jwks_fetch_failed')[0]?.reason).toBe('timed out after 500 ms');
  });

  it('abandons the body of every redirect response instead of holding its connection open', async () => {
    const { issuer, chain, verifierFor } = await setUp({ endlessBodies: true });
    const verifier = verifierFor(chain.urlWithHops(3));

    expect(await outcomeOf(verifier, await issuer.signToken())).toBe('verified');
    // Hangs, and so fails by timing out, if any redirect response were left half read.
    await chain.redirectBodiesReleased();
  });
});
