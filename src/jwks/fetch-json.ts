/** Limits for one metadata fetch (key set or discovery document). */
export interface FetchLimits {
  /** Milliseconds before the whole fetch, body included, is abandoned. */
  readonly timeoutMs: number;
  /** Largest accepted body in bytes. */
  readonly maxBytes: number;
  /** The `fetch` to use; the global one when `undefined`. */
  readonly fetch: typeof fetch | undefined;
}

/** A fetched JSON document and the freshness its response declared. */
export interface FetchedJson {
  readonly body: unknown;
  /**
   * `Cache-Control: max-age` in seconds, less the response's `Age`; 0 for `no-store`/`no-cache`;
   * `undefined` when absent.
   */
  readonly maxAge: number | undefined;
  /** The response's headers, for diagnostics (`tokenwarden keys` shows the cache headers). */
  readonly headers: Headers;
}

/** A fetch that failed; `message` is short and safe to log. */
export class FetchFailure extends Error {
  /** Seconds the server asked us to wait (`Retry-After` on a 429 or 503), when it said. */
  readonly retryAfter: number | undefined;
  /** The HTTP status of an answer that was refused for its status; `undefined` when there was none. */
  readonly status: number | undefined;

  constructor(message: string, retryAfter?: number, cause?: unknown, status?: number) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'FetchFailure';
    this.retryAfter = retryAfter;
    this.status = status;
  }
}

/** Only https, or http to the loopback interface for local development and tests. */
export function isAllowedMetadataUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'https:') return true;
  if (parsed.protocol !== 'http:') return false;
  return (
    parsed.hostname === 'localhost' ||
    parsed.hostname === '[::1]' ||
    /^127(\.\d{1,3}){3}$/.test(parsed.hostname)
  );
}

/** The most redirects one metadata fetch follows before giving up. */
const MAX_REDIRECTS = 5;

/** The statuses fetch treats as redirects (RFC 9110 §15.4); all keep a GET a GET. */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * GETs a JSON document with a deadline and a size cap, so that a slow, endless or huge response
 * can neither hang a request nor exhaust memory. Redirects are followed hop by hop, at most
 * {@link MAX_REDIRECTS}, and every hop must pass {@link isAllowedMetadataUrl}; the deadline covers
 * all hops together.
 */
export async function fetchJson(url: string, limits: FetchLimits): Promise<FetchedJson> {
  if (!isAllowedMetadataUrl(url)) {
    throw new FetchFailure('metadata URL must use https (http only for loopback)');
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), limits.timeoutMs);
  try {
    const response = await followRedirects(url, limits, controller.signal);
    if (response.status !== 200) {
      discardBody(response.body);
      const retryAfter =
        response.status === 429 || response.status === 503
          ? parseRetryAfter(response.headers.get('retry-after'))
          : undefined;
      throw new FetchFailure(
        `unexpected HTTP status ${response.status}`,
        retryAfter,
        undefined,
        response.status,
      );
    }
    const text = await readLimited(response, limits.maxBytes);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new FetchFailure('response is not JSON');
    }
    const maxAge = remainingFreshness(
      parseMaxAge(response.headers.get('cache-control')),
      response.headers.get('age'),
    );
    return { body, maxAge, headers: response.headers };
  } catch (error) {
    if (error instanceof FetchFailure) throw error;
    if (controller.signal.aborted) throw new FetchFailure(`timed out after ${limits.timeoutMs} ms`);
    throw new FetchFailure(networkErrorMessage(error), undefined, error);
  } finally {
    clearTimeout(timer);
  }
}

/** `network error`, with the system's code when `fetch` gives one (`ECONNREFUSED`, `ENOTFOUND`). */
function networkErrorMessage(error: unknown): string {
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  const code: unknown =
    typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code)
    ? `network error (${code})`
    : 'network error';
}

/** What a POST is sent with: its headers (content type among them) and its body. */
export interface PostRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A response to a POST, read whole within the limits. */
export interface PostedResponse {
  readonly status: number;
  /** The media type, lower-cased, without parameters (`application/json`); `''` when absent. */
  readonly contentType: string;
  readonly text: string;
}

/**
 * POSTs `request` with the same deadline and size cap as {@link fetchJson}, for endpoints that answer
 * a credentialed question (token introspection). The body of a 200 or of a 4xx other than 429 is read
 * whole, so the caller can tell an `invalid_client` from another refusal; anything else fails.
 * Redirects are never followed: a 307 or 308 repeats the body, credentials included, at a URL nobody
 * configured (RFC 9110 §15.4.8).
 */
export async function postForResponse(
  url: string,
  request: PostRequest,
  limits: FetchLimits,
): Promise<PostedResponse> {
  if (!isAllowedMetadataUrl(url)) {
    throw new FetchFailure('endpoint URL must use https (http only for loopback)');
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), limits.timeoutMs);
  try {
    const doFetch = limits.fetch ?? globalThis.fetch;
    const response = await doFetch(url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: controller.signal,
    });
    const { status } = response;
    if (response.redirected || (status >= 300 && status < 400) || status === 0) {
      discardBody(response.body);
      throw new FetchFailure(
        `endpoint answered with a redirect (HTTP ${status}), which is not followed`,
        undefined,
        undefined,
        status,
      );
    }
    if (status !== 200 && (status < 400 || status > 499 || status === 429)) {
      discardBody(response.body);
      const retryAfter =
        status === 429 || status === 503 ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
      throw new FetchFailure(`unexpected HTTP status ${status}`, retryAfter, undefined, status);
    }
    const text = await readLimited(response, limits.maxBytes);
    const contentType =
      (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    return { status, contentType, text };
  } catch (error) {
    if (error instanceof FetchFailure) throw error;
    if (controller.signal.aborted) throw new FetchFailure(`timed out after ${limits.timeoutMs} ms`);
    throw new FetchFailure(networkErrorMessage(error), undefined, error);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The first response that is not a redirect. Each hop is checked before it is requested: a single
 * plain-http hop, even one followed by https again, would leave the keys open to tampering in
 * transit. `redirect: 'manual'` hands Node, Bun, Deno and Workers the 3xx with its `Location`; a
 * browser's opaque redirect (status 0) fails as an unexpected status.
 */
async function followRedirects(url: string, limits: FetchLimits, signal: AbortSignal): Promise<Response> {
  const doFetch = limits.fetch ?? globalThis.fetch;
  let current = url;
  for (let redirects = 0; ; redirects += 1) {
    const response = await doFetch(current, {
      method: 'GET',
      headers: { accept: 'application/json, application/jwk-set+json' },
      redirect: 'manual',
      signal,
    });
    // A custom fetch that followed redirects itself has taken hops nobody checked.
    if (response.redirected) {
      discardBody(response.body);
      throw new FetchFailure('fetch followed redirects on its own; their hops cannot be checked');
    }
    const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get('location') : null;
    if (location === null) return response;
    discardBody(response.body);
    if (redirects === MAX_REDIRECTS) throw new FetchFailure(`more than ${MAX_REDIRECTS} redirects`);
    current = resolveLocation(location, current);
    if (!isAllowedMetadataUrl(current)) {
      throw new FetchFailure('metadata URL redirected to a URL that is not https');
    }
  }
}

/** A `Location` resolved against the URL that sent it (RFC 9110 §10.2.2). */
function resolveLocation(location: string, base: string): string {
  try {
    return new URL(location, base).href;
  } catch {
    throw new FetchFailure('redirect Location is not a URL');
  }
}

/**
 * Releases a body we will not read. Not awaited: cancelling one branch of a teed stream (as a caching
 * or instrumenting `fetch` may hand us) only settles once the other branch is cancelled too, and
 * waiting for that could hang the request past its deadline.
 */
function discardBody(body: ReadableStream<Uint8Array> | null): void {
  void body?.cancel().catch(() => undefined);
}

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    discardBody(response.body);
    throw new FetchFailure(`response larger than ${maxBytes} bytes`);
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      // Not awaited, for the reason given at discardBody.
      void reader.cancel().catch(() => undefined);
      throw new FetchFailure(`response larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

function parseMaxAge(header: string | null): number | undefined {
  if (header === null) return undefined;
  const directives = header
    .toLowerCase()
    .split(',')
    .map((part) => part.trim());
  if (directives.includes('no-store') || directives.includes('no-cache')) return 0;
  for (const directive of directives) {
    const match = /^max-age=(\d{1,10})$/.exec(directive);
    if (match !== null) return Number(match[1]);
  }
  return undefined;
}

/**
 * RFC 9111 §4.2.3: a response that waited `Age` seconds in a cache (a CDN in front of the key set) has
 * that much less of its `max-age` left. An `Age` that is not delta-seconds is ignored.
 */
function remainingFreshness(maxAge: number | undefined, age: string | null): number | undefined {
  if (maxAge === undefined || age === null) return maxAge;
  const match = /^\s*(\d{1,10})\s*$/.exec(age);
  return match === null ? maxAge : Math.max(0, maxAge - Number(match[1]));
}

/**
 * `Retry-After` as delta-seconds (RFC 9110 §10.2.3). The HTTP-date form is ignored: comparing it with
 * our clock would trust the server's clock, and the cooldown applies anyway.
 */
function parseRetryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const match = /^\s*(\d{1,10})\s*$/.exec(header);
  return match === null ? undefined : Number(match[1]);
}
