import { type EventListener, emit, type TokenwardenEvent } from './events.js';
import { describeValue, optionalObjectWithMethods } from './option-checks.js';

/**
 * Where configuration-class failures are written: `console`, pino, winston or any object with a
 * `warn` method taking a message string.
 */
export interface WarningLogger {
  warn(message: string): void;
}

/** The `logger` option: a {@link WarningLogger}, or `false` for silence. [console] */
export type LoggerOption = WarningLogger | false;

/** Seconds during which the same cause is not written again. */
const REPEAT_AFTER = 300;
/** Distinct causes remembered; past this, the memory starts again (a line may then repeat early). */
const MAX_REMEMBERED_CAUSES = 256;

/**
 * Checks the `logger` option once, when the object is built: `false`, `undefined` (the console) or an
 * object with a `warn` method.
 *
 * @throws {TypeError} naming the option.
 */
export function checkLoggerOption(value: unknown, name: string): void {
  if (value === false || value === undefined) return;
  if (value === true) {
    throw new TypeError(
      `tokenwarden: ${name} must be false or an object with a warn method (got ${describeValue(value)})`,
    );
  }
  optionalObjectWithMethods(value, name, ['warn']);
}

/**
 * The warning line for an event that says the configuration (or a server this API depends on) is
 * wrong, rather than a token: `undefined` for every other event. Token rejections are never
 * written: they are the clients' doing, and a flood of them must not flood the log.
 */
export function warningFor(event: TokenwardenEvent): string | undefined {
  switch (event.type) {
    case 'jwks_fetch_failed':
      return `tokenwarden: cannot fetch the signing keys from ${event.uri}: ${event.reason}; ${
        event.servingStale
          ? 'serving the previous key set meanwhile'
          : 'tokens are refused with 503 jwks_unavailable until it works'
      }`;
    case 'jwks_key_ignored':
      return `tokenwarden: ignored key ${event.kid ?? '(no kid)'} of ${event.uri}: ${event.reason}`;
    case 'replay_store_failed':
      return `tokenwarden: the DPoP replay store failed: ${event.reason}; DPoP requests are refused with 503 replay_store_unavailable`;
    case 'introspection_failed':
      return `tokenwarden: cannot introspect at ${event.endpoint}: ${event.reason}; opaque tokens are refused with 503 introspection_unavailable`;
    case 'introspection_client_rejected':
      return `tokenwarden: ${event.endpoint} refused this API's own credentials (HTTP ${event.status}): ${event.reason}; check the introspection client id and secret`;
    case 'introspection_cache_failed':
      return `tokenwarden: the introspection cache store failed: ${event.reason}; asking the authorization server instead`;
    default:
      return undefined;
  }
}

/**
 * `onEvent` joined with a listener writing {@link warningFor} lines to `logger`, each distinct line
 * at most once per 5 minutes of `clock` (seconds). `undefined` when there is nothing to listen.
 * Token events never reach the logger, so the request path is the same with or without it.
 */
export function withWarningLog(
  onEvent: EventListener | undefined,
  logger: LoggerOption | undefined,
  clock: () => number,
): EventListener | undefined {
  if (logger === false) return onEvent;
  const target: WarningLogger = logger ?? console;
  const lastWritten = new Map<string, number>();
  const warn = (event: TokenwardenEvent): void => {
    const line = warningFor(event);
    if (line === undefined) return;
    const now = clock();
    const last = lastWritten.get(line);
    if (last !== undefined && now - last < REPEAT_AFTER) return;
    if (lastWritten.size >= MAX_REMEMBERED_CAUSES) lastWritten.clear();
    lastWritten.set(line, now);
    target.warn(line);
  };
  if (onEvent === undefined) return warn;
  return (event) => {
    emit(onEvent, event);
    warn(event);
  };
}
