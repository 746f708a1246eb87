import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DEMO = fileURLToPath(new URL('../../examples/demo.ts', import.meta.url));

/** Runs `npm run demo` as the README writes it (tsx, the source condition) with extra arguments and env. */
function runDemo(args: readonly string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      ['--conditions=tokenwarden-source', '--import', 'tsx', DEMO, ...args],
      { env: { ...withoutIssuerSettings(process.env), ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : (child.exitCode ?? null), stdout, stderr }),
    );
  });
}

/** The demo's embedded issuer is used, whatever the shell running the tests has set. */
function withoutIssuerSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { ISSUER, AUDIENCE, AUTH0_DOMAIN, AUTH0_AUDIENCE, ...rest } = env;
  return rest;
}

let taken: Server;
let port: number;
beforeAll(async () => {
  taken = createServer();
  await once(taken.listen(0, '127.0.0.1'), 'listening');
  port = (taken.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

describe('npm run demo when its port is taken', () => {
  it.each(['express', 'fastify', 'hono', 'koa'])(
    'says which port is in use and how to choose another (%s), exit 1, no stack trace',
    async (framework) => {
      const { code, stdout, stderr } = await runDemo([`--framework=${framework}`], { PORT: String(port) });
      expect(code).toBe(1);
      expect(stdout).not.toContain('listening on');
      expect(stderr).toContain(`Cannot listen on 127.0.0.1:${port}: the port is already in use`);
      expect(stderr).toContain(`PORT=${port + 1} npm run demo -- --framework=${framework}`);
      expect(stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('names AS_PORT when the FAPI demo’s authorization server port is taken', async () => {
    const { code, stderr } = await runDemo(['--fapi'], { PORT: '0', AS_PORT: String(port) });
    expect(code).toBe(1);
    expect(stderr).toContain(`AS_PORT=${port + 1} npm run demo -- --fapi`);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
