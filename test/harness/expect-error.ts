import { expect } from 'vitest';
import { isAppError, type ErrorCode } from '../../src/domain/errors.js';

/** Asserts that a promise fails with an AppError of this code (and message, if given). */
export async function expectAppError(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code}`).toBeDefined();
  if (!isAppError(caught)) throw caught as Error;
  expect({ code: caught.code, message: caught.message }).toMatchObject({ code, ...(message ? { message: expect.stringMatching(message) as unknown } : {}) });
}
