import { describe, expect, it } from 'vitest';
import { base64urlDecoder } from '#base64url';
import * as node from '../../src/base64url-node.js';
import * as web from '../../src/base64url-web.js';

/**
 * The two `#base64url` modules must accept and refuse exactly the same segments, with the same bytes
 * and text: the node:buffer one is faster, the Web one runs everywhere else, and a token must not
 * verify on one runtime and be refused on another.
 */

const MODULES = [
  { name: 'node:buffer', ...node },
  { name: 'Web (atob)', ...web },
] as const;

function encode(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

const CANONICAL: readonly [string, Uint8Array][] = [
  ['', new Uint8Array()],
  ['AA', Uint8Array.of(0)],
  ['AAA', Uint8Array.of(0, 0)],
  ['AAAA', Uint8Array.of(0, 0, 0)],
  ['_-8', Uint8Array.of(0xff, 0xef)],
  ['eyJhbGciOiJSUzI1NiJ9', new TextEncoder().encode('{"alg":"RS256"}')],
];

const REFUSED: readonly [string, string][] = [
  ['a length of 4n + 1', 'AAAAA'],
  ['a lone character', 'A'],
  ['non-zero spare bits (2 characters)', 'AB'],
  ['non-zero spare bits (3 characters)', 'AAB'],
  ['"=" padding', 'AA=='],
  ['"+" of standard base64', 'a+b/'],
  ['"/" of standard base64', 'ab/A'],
  ['a space', 'AA AA'],
  ['a tab', 'AA\tA'],
  ['a line feed', 'AAA\n'],
  ['a dot', 'AA.A'],
  ['a non-ASCII letter', 'AAé'],
  ['a percent-encoding', 'AA%3D'],
];

describe('the #base64url import', () => {
  it('picks node:buffer under Node unless TOKENWARDEN_SIGNATURE_BACKEND=web forces atob', () => {
    const expected = process.env.TOKENWARDEN_SIGNATURE_BACKEND === 'web' ? 'atob' : 'node:buffer';
    expect(base64urlDecoder).toBe(expected);
  });
});

describe('the #base64url modules (RFC 7515 §2, RFC 4648 §3.5)', () => {
  for (const module of MODULES) {
    describe(module.name, () => {
      it.each(CANONICAL)('decodes the canonical segment %j', (segment, bytes) => {
        expect([...(module.base64urlBytes(segment) ?? [])]).toEqual([...bytes]);
      });

      it.each(REFUSED)('refuses %s', (_, segment) => {
        expect(module.base64urlBytes(segment)).toBeUndefined();
        expect(module.base64urlText(segment)).toBeUndefined();
      });

      it('gives the text of UTF-8 bytes, ASCII or not', () => {
        expect(module.base64urlText(encode(new TextEncoder().encode('{"sub":"zoë ✓ 😀"}')))).toBe(
          '{"sub":"zoë ✓ 😀"}',
        );
      });

      it('drops a leading byte order mark, as TextDecoder does', () => {
        expect(module.base64urlText(encode(Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b, 0x7d)))).toBe('{}');
      });

      it.each([
        ['a lone 0xff', [0xff]],
        ['an overlong "/"', [0xc0, 0xaf]],
        ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
        ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
        ['a truncated sequence', [0x7b, 0xe2, 0x9c]],
      ])('throws on %s, which is not UTF-8 (RFC 7519 §7.2)', (_, bytes) => {
        expect(() => module.base64urlText(encode(Uint8Array.from(bytes)))).toThrow(TypeError);
      });
    });
  }

  it('agree on every segment of a pseudo-random corpus', () => {
    // A fixed generator: the same corpus every run. Characters are drawn mostly from the alphabet,
    // with some from standard base64, padding and white space, at every length from 0 to 12.
    let seed = 0x2545f491;
    const next = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const characters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= .\u00ff';
    let accepted = 0;
    for (let i = 0; i < 20_000; i += 1) {
      const length = Math.floor(next() * 13);
      let segment = '';
      for (let c = 0; c < length; c += 1) {
        const pick = next() < 0.9 ? next() * 64 : 64 + next() * (characters.length - 64);
        segment += characters[Math.floor(pick)];
      }
      const fromNode = node.base64urlBytes(segment);
      const fromWeb = web.base64urlBytes(segment);
      expect(fromNode === undefined ? undefined : [...fromNode], segment).toEqual(
        fromWeb === undefined ? undefined : [...fromWeb],
      );
      if (fromNode !== undefined) accepted += 1;
    }
    // Both outcomes were exercised.
    expect(accepted).toBeGreaterThan(1000);
    expect(accepted).toBeLessThan(19_000);
  });
});
