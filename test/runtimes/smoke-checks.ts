import { CompactSign } from 'jose';

/**
 * What the runtime smoke checks share (`npm run test:runtimes`): the issuer and audience their tokens
 * carry, a named-check recorder that prints `ok`/`FAIL` lines and a pass/fail count, and a JWS signer.
 * No Node API: Bun, Deno and Node all load it.
 */

export const ISSUER = 'https://issuer.example.test/';
export const AUDIENCE = 'https://api.example.test';

/** Throws `message` unless `condition` holds. */
export function assert(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** A compact JWS of `claims` under `header`, signed with `key`. */
export async function sign(
  key: CryptoKey,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader(header as { alg: string })
    .sign(key);
}

/** Named checks, run one after another, and their report. */
export interface SmokeChecks {
  /** Runs `run`, recording it as passed, or failed with the message of what it threw. */
  check(name: string, run: () => Promise<void>): Promise<void>;
  /** Records `name` as failed because of `error`. */
  fail(name: string, error: unknown): void;
  /** Prints one line per check and `<label>: N passed, N failed<suffix>`; whether none failed. */
  report(label: string, suffix?: string): boolean;
}

export function createSmokeChecks(): SmokeChecks {
  const results: { name: string; ok: boolean; detail?: string }[] = [];
  const fail = (name: string, error: unknown) =>
    results.push({ name, ok: false, detail: error instanceof Error ? error.message : String(error) });
  return {
    async check(name, run) {
      try {
        await run();
        results.push({ name, ok: true });
      } catch (error) {
        fail(name, error);
      }
    },
    fail,
    report(label, suffix = '') {
      for (const { name, ok, detail } of results)
        console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
      const failed = results.filter((result) => !result.ok).length;
      console.log(`${label}: ${results.length - failed} passed, ${failed} failed${suffix}`);
      return failed === 0;
    },
  };
}
