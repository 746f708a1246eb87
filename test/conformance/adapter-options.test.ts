import Fastify from 'fastify';
import { createVerifier, type Verifier, type VerifierOptions } from 'tokenwarden';
import * as expressAuth from 'tokenwarden/express';
import tokenwarden from 'tokenwarden/fastify';
import * as honoAuth from 'tokenwarden/hono';
import * as koaAuth from 'tokenwarden/koa';
import { describe, expect, it } from 'vitest';

const OPTIONS = {
  issuer: 'https://issuer.example.test/',
  audience: 'https://api.example.test',
  keySet: { keys: [] },
};

/** One framework's middleware factory, called with options (or a shared verifier) as an app would. */
interface FrameworkSetup {
  readonly name: string;
  withOptions(options: Readonly<Record<string, unknown>>): Promise<void>;
  withVerifier(verifier: Verifier, options: Readonly<Record<string, unknown>>): Promise<void>;
}

async function registerFastify(options: Readonly<Record<string, unknown>>): Promise<void> {
  const app = Fastify();
  try {
    await app.register(tokenwarden, options as unknown as VerifierOptions);
    await app.ready();
  } finally {
    await app.close();
  }
}

const FRAMEWORKS: readonly FrameworkSetup[] = [
  {
    name: 'Express',
    withOptions: async (options) => {
      expressAuth.jwtAuth(options as unknown as VerifierOptions);
    },
    withVerifier: async (verifier, options) => {
      expressAuth.jwtAuth(verifier, options);
    },
  },
  {
    name: 'Fastify',
    withOptions: (options) => registerFastify(options),
    withVerifier: (verifier, options) => registerFastify({ ...options, verifier }),
  },
  {
    name: 'Hono',
    withOptions: async (options) => {
      honoAuth.jwtAuth(options as unknown as VerifierOptions);
    },
    withVerifier: async (verifier, options) => {
      honoAuth.jwtAuth(verifier, options);
    },
  },
  {
    name: 'Koa',
    withOptions: async (options) => {
      koaAuth.jwtAuth(options as unknown as VerifierOptions);
    },
    withVerifier: async (verifier, options) => {
      koaAuth.jwtAuth(verifier, options);
    },
  },
];

describe.each(FRAMEWORKS.map((framework) => [framework.name, framework] as const))(
  'adapter options are checked when the middleware is built: %s',
  (_name, framework) => {
    it('accepts the adapter option passErrors beside the verifier options', async () => {
      await expect(framework.withOptions({ ...OPTIONS, passErrors: true })).resolves.toBeUndefined();
    });

    it('refuses a misspelt verifier option, naming the closest one', async () => {
      await expect(framework.withOptions({ ...OPTIONS, clockTolerence: 30 })).rejects.toThrow(
        /clockTolerence.*did you mean clockTolerance\?/,
      );
    });

    it("refuses passErrors: 'yes' with a TypeError", async () => {
      await expect(framework.withOptions({ ...OPTIONS, passErrors: 'yes' })).rejects.toThrow(
        /passErrors must be true or false/,
      );
    });

    it('refuses verifier options beside a shared verifier, where they would do nothing', async () => {
      const verifier = createVerifier(OPTIONS);
      await expect(framework.withVerifier(verifier, { passErrors: true })).resolves.toBeUndefined();
      await expect(framework.withVerifier(verifier, { clockTolerance: 30 })).rejects.toThrow(
        /with a shared verifier: clockTolerance/,
      );
    });
  },
);

describe('Hono adapter options', () => {
  it('accepts remoteAddress as a function and refuses anything else', () => {
    expect(() => honoAuth.jwtAuth({ ...OPTIONS, remoteAddress: () => '10.0.0.1' })).not.toThrow();
    expect(() =>
      honoAuth.jwtAuth({ ...OPTIONS, remoteAddress: '10.0.0.1' } as unknown as VerifierOptions),
    ).toThrow(/remoteAddress must be a function/);
  });
});
