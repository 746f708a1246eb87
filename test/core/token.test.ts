import { describe, expect, it } from 'vitest';
import { decodeToken, type KnownHeaders } from '../../src/token.js';

function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function token(header: object, claims: object): string {
  return `${segment(header)}.${segment(claims)}.c2ln`;
}

describe('decodeToken and the headers a verifier already decoded', () => {
  it('decodes a header once and shares it, frozen, with the next token that carries it', () => {
    const knownHeaders: KnownHeaders = new Map();
    const first = decodeToken(token({ alg: 'RS256', kid: 'k1' }, { n: 1 }), 16_384, knownHeaders);
    const second = decodeToken(token({ alg: 'RS256', kid: 'k1' }, { n: 2 }), 16_384, knownHeaders);
    expect(second.header).toBe(first.header);
    expect(Object.isFrozen(second.header)).toBe(true);
    expect(second.claims).toEqual({ n: 2 });
    expect([...second.signature]).toEqual([...Buffer.from('sig')]);
  });

  it('keeps at most 64 headers: a stream of made-up ones cannot grow it', () => {
    const knownHeaders: KnownHeaders = new Map();
    for (let i = 0; i < 1000; i += 1) {
      decodeToken(token({ alg: 'RS256', kid: `k${i}` }, {}), 16_384, knownHeaders);
      expect(knownHeaders.size).toBeLessThanOrEqual(64);
    }
    expect(knownHeaders.size).toBeGreaterThan(0);
  });

  it('still refuses a token whose payload or signature is malformed after its header was known', () => {
    const knownHeaders: KnownHeaders = new Map();
    const header = segment({ alg: 'RS256' });
    decodeToken(`${header}.${segment({})}.c2ln`, 16_384, knownHeaders);
    expect(() => decodeToken(`${header}.${segment({})}.c2l+`, 16_384, knownHeaders)).toThrow(
      /not a compact JWS/,
    );
    expect(() => decodeToken(`${header}.${segment([])}.c2ln`, 16_384, knownHeaders)).toThrow(
      /payload is not a JSON object/,
    );
    expect(() => decodeToken(`${header}.c2lo.c2ln`, 16_384, knownHeaders)).toThrow(
      /payload is not valid JSON/,
    );
  });

  it('remembers no header that is not a JSON object', () => {
    const knownHeaders: KnownHeaders = new Map();
    expect(() => decodeToken(`${segment([1])}.${segment({})}.c2ln`, 16_384, knownHeaders)).toThrow(
      /header is not a JSON object/,
    );
    expect(knownHeaders.size).toBe(0);
  });

  it.each([
    ['two segments', 'a.b'],
    ['an empty header', '.e30.c2ln'],
    ['an empty payload', 'e30..c2ln'],
    ['four segments', 'e30.e30.c2ln.c2ln'],
  ])('refuses %s as not a compact JWS', (_, value) => {
    expect(() => decodeToken(value, 16_384)).toThrow(/not a compact JWS/);
  });

  it('names five segments as an encrypted token (JWE)', () => {
    expect(() => decodeToken('e30.a.b.c.d', 16_384)).toThrow(/Encrypted tokens/);
  });
});
