import { describe, expect, it } from 'vitest';
import { deepFreeze } from '../../src/deep-freeze.js';

describe('deepFreeze', () => {
  it('freezes every object and array of a decoded claim set, however deep', () => {
    const claims = JSON.parse(
      '{"sub":"u","cnf":{"jkt":"x"},"amr":["pwd"],"nested":[{"a":[{"b":{}}]}],"n":1,"none":null}',
    ) as { cnf: object; amr: string[]; nested: { a: { b: object }[] }[] };
    expect(deepFreeze(claims)).toBe(claims);
    for (const value of [
      claims,
      claims.cnf,
      claims.amr,
      claims.nested,
      claims.nested[0],
      claims.nested[0]?.a,
    ]) {
      expect(Object.isFrozen(value)).toBe(true);
    }
    expect(Object.isFrozen(claims.nested[0]?.a[0]?.b)).toBe(true);
    expect(() => claims.amr.push('otp')).toThrow(TypeError);
  });

  it('leaves alone what the object only inherits', () => {
    const inherited = { shared: {} };
    const value = Object.create(inherited) as { own?: object; shared: object };
    value.own = {};
    deepFreeze(value);
    expect(Object.isFrozen(value.own)).toBe(true);
    expect(Object.isFrozen(inherited.shared)).toBe(false);
  });

  it('returns primitives and null as they are', () => {
    expect(deepFreeze(null)).toBeNull();
    expect(deepFreeze('text')).toBe('text');
    expect(deepFreeze(3)).toBe(3);
  });
});
