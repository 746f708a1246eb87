import { TokenError } from '../errors.js';
import type { ResourceRequest } from '../request.js';
import { normaliseHttpUri } from './htu.js';

/** How to learn the URL clients use to reach this API, which is what a DPoP proof's `htu` names. */
export interface PublicUrlOptions {
  /**
   * The API's public origin, optionally with a path prefix, e.g. `https://api.example.com` or
   * `https://example.com/api`. When set, the request's own scheme and host are ignored. [unset]
   */
  readonly publicBaseUrl?: string | undefined;
  /**
   * Peer addresses of reverse proxies whose `Forwarded` (RFC 7239) or `X-Forwarded-Proto` /
   * `X-Forwarded-Host` headers are believed. Headers from any other peer are ignored. [none]
   */
  readonly trustedProxies?: readonly string[] | undefined;
}

/**
 * The absolute URL of a request as its client addressed it (RFC 9449 §4.3 point 9 compares `htu`
 * with it). Throws `request_invalid` when no usable host is known, when the request target has dot
 * segments or backslashes, or when no absolute http(s) URL can be built from the request.
 */
export function resolvePublicUrl(request: ResourceRequest, options: PublicUrlOptions): string {
  const target = request.url;
  checkRequestPath(target);
  const url = publicUrlOf(request, target, options);
  // A Host such as `[`, `a:b:c` or `h:99999` passes the character check but makes no URL.
  if (normaliseHttpUri(url) === undefined) {
    throw new TokenError('request_invalid', 'The request URL cannot be built from its Host and target');
  }
  return url;
}

/** A dot segment, plain or percent-encoded (`%2E` is `.`, RFC 3986 §2.3 and §6.2.2.2). */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * Refuses a target whose path has a dot segment or a backslash. `htu` is compared with the URL as
 * WHATWG URL resolves it (dot segments removed, RFC 3986 §5.2.4; `\` read as `/`), while Express,
 * Fastify and Koa route the raw path: `/api/admin/../private` would reach the `/api/admin/*` route
 * with a proof made for `/api/private`. No client needs to send either, so there is no ambiguity to
 * resolve, only a request to refuse.
 */
function checkRequestPath(target: string): void {
  const beforeQuery = target.split(/[?#]/, 1)[0] ?? '';
  const path = beforeQuery.replace(/^https?:\/\/[^/]*/i, '');
  if (beforeQuery.includes('\\') || path.split('/').some((segment) => DOT_SEGMENT.test(segment))) {
    throw new TokenError('request_invalid', 'The request path has dot segments or backslashes');
  }
}

function publicUrlOf(request: ResourceRequest, target: string, options: PublicUrlOptions): string {
  if (options.publicBaseUrl !== undefined) {
    return options.publicBaseUrl.replace(/\/+$/, '') + pathOf(target);
  }
  if (/^https?:\/\//i.test(target) && !isTrustedProxy(request, options)) return target;
  const forwarded = isTrustedProxy(request, options) ? forwardedOrigin(request) : undefined;
  const protocol =
    forwarded?.protocol ?? request.protocol ?? protocolOf(/^(https?):/i.exec(target)?.[1]) ?? 'http';
  const host = forwarded?.host ?? single(request.header('host')) ?? hostOf(target);
  if (host === undefined || !/^[A-Za-z0-9.\-:[\]]+$/.test(host)) {
    throw new TokenError('request_invalid', 'The request has no usable Host header');
  }
  return `${protocol}://${host}${pathOf(target)}`;
}

function isTrustedProxy(request: ResourceRequest, options: PublicUrlOptions): boolean {
  const peer = request.remoteAddress;
  if (peer === undefined || options.trustedProxies === undefined) return false;
  // Node reports IPv4 peers on dual-stack sockets as ::ffff:a.b.c.d.
  const plain = peer.startsWith('::ffff:') ? peer.slice(7) : peer;
  return options.trustedProxies.includes(peer) || options.trustedProxies.includes(plain);
}

/**
 * What the nearest trusted proxy says the client addressed: the last element of `Forwarded`
 * (RFC 7239 §4), else the last value of `X-Forwarded-Proto` and `X-Forwarded-Host`. Proxies append
 * to what they receive, so every earlier element may have come from the client itself. Header lines
 * sent more than once are joined in order first, as one comma-separated list (RFC 9110 §5.3).
 * Splitting on commas without reading quoted strings is deliberate: a client cannot open a quote
 * that swallows the element its proxy appends.
 */
function forwardedOrigin(request: ResourceRequest): { protocol?: 'http' | 'https'; host?: string } {
  const forwarded = joined(request.header('forwarded'));
  if (forwarded !== undefined) {
    const params = new Map(
      lastElement(forwarded)
        .split(';')
        .map((pair) => {
          const eq = pair.indexOf('=');
          return [
            pair.slice(0, eq).trim().toLowerCase(),
            pair
              .slice(eq + 1)
              .trim()
              .replace(/^"|"$/g, ''),
          ] as const;
        }),
    );
    return { protocol: protocolOf(params.get('proto')), host: nonEmpty(params.get('host')) };
  }
  const proto = joined(request.header('x-forwarded-proto'));
  const host = joined(request.header('x-forwarded-host'));
  return {
    protocol: protocolOf(proto === undefined ? undefined : lastElement(proto)),
    host: host === undefined ? undefined : nonEmpty(lastElement(host)),
  };
}

/** A header's lines as one comma-separated list, or `undefined` when absent. */
function joined(value: string | readonly string[] | undefined): string | undefined {
  return value === undefined || typeof value === 'string' ? value : value.join(',');
}

function lastElement(list: string): string {
  return list.slice(list.lastIndexOf(',') + 1).trim();
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

function protocolOf(value: string | undefined): 'http' | 'https' | undefined {
  const lower = value?.toLowerCase();
  return lower === 'http' || lower === 'https' ? lower : undefined;
}

function single(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  return value.length === 1 ? value[0] : undefined;
}

function pathOf(target: string): string {
  if (/^https?:\/\//i.test(target)) {
    try {
      const url = new URL(target);
      return url.pathname + url.search;
    } catch {
      throw new TokenError('request_invalid', 'The request target is not a valid URL');
    }
  }
  return target.startsWith('/') ? target : `/${target}`;
}

function hostOf(target: string): string | undefined {
  if (!/^https?:\/\//i.test(target)) return undefined;
  try {
    return new URL(target).host;
  } catch {
    return undefined;
  }
}
