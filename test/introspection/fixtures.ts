import { createIntrospector, type IntrospectorOptions, type TokenIntrospector } from 'tokenwarden';
import { afterEach } from 'vitest';
import { type EventRecorder, recordEvents } from '../jwks/jwks-fixtures.js';
import { createManualClock, type ManualClock, NOW } from '../support/clock.js';
import {
  type ClientCheck,
  createIntrospectionServer,
  type IntrospectionServer,
} from './introspection-server.js';

export { expectRejection } from '../support/rejection.js';
export { NOW };

/** This API's client id at the test authorization server. */
export const CLIENT_ID = 'orders-api';

/** A client secret with every character RFC 6749 §2.3.1's form-encoding must escape. */
export const CLIENT_SECRET = 'p@ss:w0rd/+&=% é"\\';

/**
 * Real milliseconds a call may take. Only a server that never answers reaches it; roomy, because
 * the machine may be busy with other test runs. A deadline, not a sleep: nothing waits for it
 * unless the server is silent.
 */
export const CALL_DEADLINE_MS = 300;

const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((item) => item.close()));
});

/** Registers something to close after the current test. */
export function closeAfterTest(item: { close(): Promise<void> }): void {
  running.push(item);
}

/** A test authorization server, an introspector configured for it, its clock and its events. */
export interface IntrospectionSetup {
  readonly server: IntrospectionServer;
  readonly clock: ManualClock;
  readonly events: EventRecorder;
  readonly introspector: TokenIntrospector;
}

/** How {@link setUpIntrospection} deviates from the default (basic auth, configured endpoint). */
export interface SetupOptions {
  /** What the server checks. [client_secret_basic with {@link CLIENT_SECRET}] */
  readonly client?: ClientCheck | undefined;
  /** Whether discovery names the endpoint. [true] */
  readonly advertiseEndpoint?: boolean | undefined;
  /** Introspector options over the defaults; a function receives the server. */
  readonly introspector?:
    | Partial<IntrospectorOptions>
    | ((server: IntrospectionServer) => Partial<IntrospectorOptions>)
    | undefined;
}

/** Starts a server and builds an introspector for it; both are closed after the test. */
export async function setUpIntrospection(options: SetupOptions = {}): Promise<IntrospectionSetup> {
  const clock = createManualClock();
  const events = recordEvents();
  const server = await createIntrospectionServer({
    client: options.client ?? {
      method: 'client_secret_basic',
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    },
    clock: clock.now,
    advertiseEndpoint: options.advertiseEndpoint,
  });
  closeAfterTest(server);
  const overrides =
    typeof options.introspector === 'function' ? options.introspector(server) : (options.introspector ?? {});
  const introspector = createIntrospector({
    endpoint: server.endpoint,
    clientId: CLIENT_ID,
    clientAuthentication: { method: 'client_secret_basic', clientSecret: CLIENT_SECRET },
    timeoutMs: CALL_DEADLINE_MS,
    clock: clock.now,
    onEvent: events.listener,
    ...overrides,
  });
  return { server, clock, events, introspector };
}

/** An RFC 7662 §2.2 answer for an active token of `server`, valid for an hour from {@link NOW}. */
export function activeAnswer(
  server: IntrospectionServer,
  overrides: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  return {
    active: true,
    iss: server.issuer,
    sub: 'user-1',
    client_id: 'web-app',
    scope: 'orders:read orders:write',
    aud: 'https://api.example.test',
    iat: NOW,
    exp: NOW + 3600,
    token_type: 'Bearer',
    ...overrides,
  };
}
