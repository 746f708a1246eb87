/**
 * A framework-neutral view of an HTTP request: everything the core needs, nothing more.
 * Adapters build one from their framework's request object.
 */
export interface ResourceRequest {
  /** HTTP method, e.g. `GET`. */
  readonly method: string;
  /** The request target as received: a path with optional query (`/api?x=1`) or an absolute URL. */
  readonly url: string;
  /**
   * Looks up a header by lower-case name. Returns every value when the header was sent more than once
   * (as Node does for most headers), a single string otherwise, or `undefined` when absent.
   */
  header(name: string): string | readonly string[] | undefined;
  /** `https` when the connection to this process is TLS. Used to rebuild the URL a DPoP proof signs. */
  readonly protocol?: 'http' | 'https' | undefined;
  /** The peer's IP address, compared with `dpop.trustedProxies` before forwarded headers are believed. */
  readonly remoteAddress?: string | undefined;
}

/** Builds a {@link ResourceRequest} from a Web-standard `Request` (Hono, Bun, Deno, Workers). */
export function fromWebRequest(request: Request): ResourceRequest {
  return {
    method: request.method,
    url: request.url,
    header: (name) => request.headers.get(name) ?? undefined,
  };
}

/** Builds a {@link ResourceRequest} from Node-style parts (`IncomingMessage`, Express, Koa, Fastify). */
export function fromNodeRequest(parts: {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The request's socket (`req.socket`): TLS-ness and peer address. */
  readonly socket?: { readonly encrypted?: boolean; readonly remoteAddress?: string | undefined } | undefined;
}): ResourceRequest {
  return {
    method: parts.method ?? 'GET',
    url: parts.url ?? '/',
    header: (name) => parts.headers[name],
    protocol: parts.socket?.encrypted === true ? 'https' : 'http',
    remoteAddress: parts.socket?.remoteAddress,
  };
}
