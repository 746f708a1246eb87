import { TokenError, type TokenErrorCode, type Verifier } from 'tokenwarden';
import { expect } from 'vitest';

/**
 * The {@link TokenError} a call fails with. Given a promise, resolves with the error it rejects with;
 * given a function, runs it and returns the error it throws synchronously. Either way the test fails
 * when nothing fails, or when what fails is not a {@link TokenError}.
 */
export function rejectionOf(promise: PromiseLike<unknown>): Promise<TokenError>;
export function rejectionOf(fn: () => unknown): TokenError;
export function rejectionOf(
  subject: PromiseLike<unknown> | (() => unknown),
): Promise<TokenError> | TokenError {
  if (typeof subject === 'function') {
    try {
      subject();
    } catch (error) {
      return asTokenError(error);
    }
    return expect.fail('expected a TokenError to be thrown, but the call returned');
  }
  return Promise.resolve(subject).then(
    () => expect.fail('expected a rejection with a TokenError, but the promise resolved'),
    asTokenError,
  );
}

/**
 * Asserts that `promise` rejects with a {@link TokenError} of `code` (whose message matches `message`,
 * when given) and returns the error for further checks.
 */
export async function expectRejection(
  promise: PromiseLike<unknown>,
  code: TokenErrorCode,
  message?: RegExp,
): Promise<TokenError> {
  const error = await rejectionOf(promise);
  expect(error.code).toBe(code);
  if (message !== undefined) expect(error.message).toMatch(message);
  return error;
}

/**
 * How `verifier` answers `token`: `'verified'`, or the code of the {@link TokenError} it rejects with,
 * for checks that accept either (anything else rejected fails the test).
 */
export function outcomeOf(verifier: Verifier, token: string): Promise<'verified' | TokenErrorCode> {
  return verifier.verify(token).then(
    () => 'verified' as const,
    (error: unknown) => asTokenError(error).code,
  );
}

function asTokenError(error: unknown): TokenError {
  expect(error).toBeInstanceOf(TokenError);
  return error as TokenError;
}
