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

/** The parts of a Node-style request that {@link fromNodeRequest} reads. */
export interface NodeRequestParts {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The request's socket (`req.socket`): TLS-ness and peer address. */
  readonly socket?: { readonly encrypted?: boolean; readonly remoteAddress?: string | undefined } | undefined;
}

/** Builds a {@link ResourceRequest} from Node-style parts (`IncomingMessage`, Express, Koa, Fastify). */
export function fromNodeRequest(parts: NodeRequestParts): ResourceRequest {
  return new NodeResourceRequest(parts);
}

/**
 * A class rather than an object literal so that the peer address can be a getter without costing a
 * closure per request: it is read only when a DPoP proof behind a trusted proxy needs it, and Node's
 * own getter asks the socket.
 */
class NodeResourceRequest implements ResourceRequest {
  readonly method: string;
  readonly url: string;
  readonly protocol: 'http' | 'https';
  readonly #parts: NodeRequestParts;

  constructor(parts: NodeRequestParts) {
    this.method = parts.method ?? 'GET';
    this.url = parts.url ?? '/';
    this.protocol = parts.socket?.encrypted === true ? 'https' : 'http';
    this.#parts = parts;
  }

  header(name: string): string | readonly string[] | undefined {
    return this.#parts.headers[name];
  }

  get remoteAddress(): string | undefined {
    return this.#parts.socket?.remoteAddress;
  }
}
