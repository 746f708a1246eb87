// The Worker that `workerd-smoke.ts` bundles and serves with workerd: the Go example's three routes,
// written as a Workers user writes them (the app built at module scope and exported as the module's
// default), plus one route naming the runtime and the signature backend the bundle picked. The key
// set is static, defined by the bundler (`WORKER_SETTINGS`): the Worker has no network.
import { Hono } from 'hono';
import type { JWK } from 'jose';
import { createVerifier } from 'tokenwarden';
import { jwtAuth, requireScope, type TokenwardenEnv } from 'tokenwarden/hono';
import { signatureBackend } from '#signature';
import { NOW } from '../support/clock.js';

declare const WORKER_SETTINGS: { issuer: string; audience: string; keys: JWK[] };

const verifier = createVerifier({
  issuer: WORKER_SETTINGS.issuer,
  audience: WORKER_SETTINGS.audience,
  keySet: { keys: WORKER_SETTINGS.keys },
  clock: () => NOW,
});
const checkJwt = jwtAuth(verifier);

const app = new Hono<TokenwardenEnv>();
app.get('/runtime', (c) => c.json({ userAgent: navigator.userAgent, signatureBackend }));
app.get('/api/public', (c) => c.json({ message: 'public' }));
app.get('/api/private', checkJwt, (c) => c.json({ sub: c.get('auth')?.claims.sub }));
app.get('/api/private-scoped', checkJwt, requireScope('read:messages'), (c) =>
  c.json({ sub: c.get('auth')?.claims.sub }),
);

export default app;
