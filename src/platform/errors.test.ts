import { describe, expect, it } from 'vitest';
import { AppError, defineErrors, isAppError, registeredErrorCodes } from './errors.js';

describe('defineErrors', () => {
  it('registers dotted codes with their status and title', () => {
    const E = defineErrors('testdomain', { broke: { status: 409, title: 'It broke' } });
    expect(E.broke).toEqual({ code: 'testdomain.broke', status: 409, title: 'It broke' });
    expect(registeredErrorCodes().map((c) => c.code)).toContain('testdomain.broke');
  });

  it('refuses a code declared twice, bad names and non-error statuses', () => {
    defineErrors('twice', { once: { status: 400, title: 'x' } });
    expect(() => defineErrors('twice', { once: { status: 400, title: 'x' } })).toThrow(/declared twice/);
    expect(() => defineErrors('Bad-Domain', { a: { status: 400, title: 'x' } })).toThrow(TypeError);
    expect(() => defineErrors('okdomain', { 'Bad.Reason': { status: 400, title: 'x' } })).toThrow(TypeError);
    expect(() => defineErrors('okdomain2', { fine: { status: 200, title: 'x' } })).toThrow(/invalid status/);
  });
});

describe('AppError', () => {
  const E = defineErrors('apperror', { gone: { status: 410, title: 'Gone for good' } });

  it('carries code, status, title and defaults detail to the title', () => {
    const error = new AppError(E.gone);
    expect([error.code, error.status, error.title, error.detail]).toEqual(['apperror.gone', 410, 'Gone for good', 'Gone for good']);
    expect(isAppError(error, E.gone)).toBe(true);
    expect(isAppError(new Error('x'))).toBe(false);
  });

  it('keeps the internal cause apart from the client detail', () => {
    const cause = new Error('connection to 10.0.0.5 refused');
    const error = new AppError(E.gone, { detail: 'Safe words', cause });
    expect(error.detail).toBe('Safe words');
    expect(error.cause).toBe(cause);
    expect(error.detail).not.toContain('10.0.0.5');
  });
});
