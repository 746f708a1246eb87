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
 * with it). Throws `request_invalid` when no usable host is known, or when no absolute http(s) URL
 * can be built from the request.
 */
export function resolvePublicUrl(request: ResourceRequest, options: PublicUrlOptions): string {
  const url = publicUrlOf(request, request.url, options);
  // A Host such as `[`, `a:b:c` or `h:99999` passes the character check but makes no URL.
  if (normaliseHttpUri(url) === undefined) {
    throw new TokenError('request_invalid', 'The request URL cannot be built from its Host and target');
  }
  return url;
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

/** The nearest proxy's view: the first element of `Forwarded`, else `X-Forwarded-*`'s first values. */
function forwardedOrigin(request: ResourceRequest): { protocol?: 'http' | 'https'; host?: string } {
  const forwarded = single(request.header('forwarded'));
  if (forwarded !== undefined) {
    const first = forwarded.split(',')[0] ?? '';
    const params = new Map(
      first.split(';').map((pair) => {
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
    return { protocol: protocolOf(params.get('proto')), host: params.get('host') };
  }
  const proto = single(request.header('x-forwarded-proto'))?.split(',')[0]?.trim();
  const host = single(request.header('x-forwarded-host'))?.split(',')[0]?.trim();
  return { protocol: protocolOf(proto), host: host === '' ? undefined : host };
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
