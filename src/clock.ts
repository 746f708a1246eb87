/**
 * Time in tokenwarden is seconds since the epoch, read from an injected `clock` option so that tests
 * never sleep; this is the clock used when none is given.
 */
export const systemClock = (): number => Date.now() / 1000;
