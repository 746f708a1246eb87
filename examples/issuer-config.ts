import type { VerifierOptions } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';

/** Where the demo's tokens come from: a real issuer from the environment, or an embedded dev issuer. */
export interface DemoAuth {
  readonly options: VerifierOptions;
  /** Present only with the embedded issuer: sample tokens to try. */
  readonly samples?: { readonly scoped: string; readonly unscoped: string; readonly expired: string };
  readonly close: () => Promise<void>;
}

/**
 * Reads `ISSUER`/`AUDIENCE` (or Auth0's `AUTH0_DOMAIN`/`AUTH0_AUDIENCE`); without them, starts a
 * dev issuer on 127.0.0.1 and mints sample tokens.
 */
export async function resolveDemoAuth(env: NodeJS.ProcessEnv = process.env): Promise<DemoAuth> {
  const issuer = env.ISSUER ?? (env.AUTH0_DOMAIN ? auth0Issuer(env.AUTH0_DOMAIN) : undefined);
  const audience = env.AUDIENCE ?? env.AUTH0_AUDIENCE;
  if (issuer !== undefined || audience !== undefined) {
    if (issuer === undefined || audience === undefined) {
      throw new Error('Set both ISSUER and AUDIENCE (or AUTH0_DOMAIN and AUTH0_AUDIENCE).');
    }
    return { options: { issuer, audience }, close: async () => {} };
  }
  const dev: TestIssuer = await createTestIssuer();
  return {
    options: { issuer: dev.issuer, audience: dev.audience },
    samples: {
      scoped: await dev.signToken({ scope: 'read:messages' }),
      unscoped: await dev.signToken({ scope: 'profile' }),
      expired: await dev.signToken({ scope: 'read:messages' }, { expiresIn: -3600 }),
    },
    close: () => dev.close(),
  };
}

/** Auth0 issuers are `https://<domain>/`, trailing slash included. */
function auth0Issuer(domain: string): string {
  const bare = domain.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  return `https://${bare}/`;
}
