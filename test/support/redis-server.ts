import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { createClient } from 'redis';

/** The `redis-server` binary on PATH, or `undefined` when Redis is not installed. */
export const redisServerBinary: string | undefined = (process.env.PATH ?? '')
  .split(delimiter)
  .map((directory) => join(directory, 'redis-server'))
  .find((candidate) => existsSync(candidate));

/**
 * Whether Redis-backed tests should be skipped: only locally, without `redis-server` installed. In
 * CI (`CI` set) they must run, so a missing binary fails them instead of hiding them.
 */
export const skipWithoutRedis: boolean = redisServerBinary === undefined && !process.env.CI;

/** A throwaway `redis-server` on a free loopback port, without persistence. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Freezes the process (SIGSTOP): connections stay open, commands go unanswered. */
  pause(): void;
  /** Lets a paused process run again (SIGCONT). */
  resume(): void;
  /** Stops the server (resuming it first, if paused) and waits for it to exit. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function spawnRedis(binary: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve(child);
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
}

/** Starts a `redis-server` for one test file; throws when none is installed (CI must install it). */
export async function startRedisServer(): Promise<RedisServer> {
  if (redisServerBinary === undefined) throw new Error('redis-server is not on PATH; CI must install it');
  const port = await freePort();
  const child = await spawnRedis(redisServerBinary, port);
  return {
    url: `redis://127.0.0.1:${port}`,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // A stopped process would hold SIGTERM pending for ever.
      child.kill('SIGCONT');
      child.kill();
      await exited;
    },
  };
}

function redisClient(url: string) {
  return createClient({ url });
}

/** A node-redis client as the tests connect it. */
export type RedisTestClient = ReturnType<typeof redisClient>;

/** Connected clients of one test server, quit together when the suite ends. */
export interface RedisClientPool {
  /** A new client, connected to the server `url()` names at the time of the call. */
  connect(): Promise<RedisTestClient>;
  /** Quits every client connected so far. */
  quitAll(): Promise<void>;
}

/** Clients for the server whose URL `url()` gives once it has started. */
export function redisClientPool(url: () => string): RedisClientPool {
  let clients: RedisTestClient[] = [];
  return {
    async connect() {
      const client = redisClient(url());
      await client.connect();
      clients.push(client);
      return client;
    },
    async quitAll() {
      await Promise.all(clients.map((client) => client.quit()));
      clients = [];
    },
  };
}
