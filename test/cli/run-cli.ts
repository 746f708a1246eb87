import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI's source, run as `npx tokenwarden` runs the built file: a separate Node process. */
const CLI = fileURLToPath(new URL('../../cli/tokenwarden.ts', import.meta.url));

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tokenwarden <args>` with stdout not a terminal (so no colours), `stdin` fed when given. */
export function tokenwarden(args: readonly string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--conditions=tokenwarden-source', '--import', 'tsx', CLI, ...args],
      { env: { ...process.env, NO_COLOR: undefined }, timeout: 15_000 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
      },
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
}

/** Seconds since the epoch by the system clock, which the CLI reads too. */
export const now = (): number => Math.floor(Date.now() / 1000);
