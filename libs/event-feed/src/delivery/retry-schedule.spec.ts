import { afterFailure, type FailedOutcome, type RetryPolicy } from './retry-schedule';

const POLICY: RetryPolicy = { firstDelayMs: 5_000, maxDelayMs: 3_600_000, retryWindowMs: 24 * 3_600_000 };
const T0 = Date.parse('2026-12-04T09:00:00Z');
const serverError: FailedOutcome = { kind: 'rejected', statusCode: 500, durationMs: 3, responseBody: '' };
// The top of the jitter range (random() never returns 1, so this is the limit it approaches).
const noJitter = () => 1;
const halfJitter = () => 0;

describe('afterFailure', () => {
  it('given a first failure, when scheduled, then the retry waits between half and all of the first delay', () => {
    expect(afterFailure(POLICY, serverError, 1, T0, T0, halfJitter)).toEqual({ kind: 'retry', atMs: T0 + 2_500 });
    expect(afterFailure(POLICY, serverError, 1, T0, T0, noJitter)).toEqual({ kind: 'retry', atMs: T0 + 5_000 });
  });

  it('given repeated failures, when scheduled, then each wait doubles up to the longest wait', () => {
    const waits = [1, 2, 3, 4, 12, 30].map((failures) => {
      const next = afterFailure(POLICY, serverError, failures, T0, T0 + 1, noJitter);
      return next.kind === 'retry' ? next.atMs - (T0 + 1) : undefined;
    });
    expect(waits).toEqual([5_000, 10_000, 20_000, 40_000, 3_600_000, 3_600_000]);
  });

  it("given a 429 asking for more than the backoff, when scheduled, then the receiver's Retry-After is honoured", () => {
    const tooMany: FailedOutcome = { kind: 'rejected', statusCode: 429, durationMs: 1, responseBody: '', retryAfterMs: 120_000 };
    expect(afterFailure(POLICY, tooMany, 1, T0, T0, noJitter)).toEqual({ kind: 'retry', atMs: T0 + 120_000 });
  });

  it('given a failure close to the end of the window, when scheduled, then the last attempt is made when the window ends', () => {
    const now = T0 + POLICY.retryWindowMs - 1_000;
    expect(afterFailure(POLICY, serverError, 25, T0, now, noJitter)).toEqual({ kind: 'retry', atMs: T0 + POLICY.retryWindowMs });
  });

  it('given the window is over, when a failure is scheduled, then delivery gives up (the subscription pauses as failing)', () => {
    expect(afterFailure(POLICY, serverError, 26, T0, T0 + POLICY.retryWindowMs, noJitter)).toEqual({ kind: 'give_up' });
    const timeout: FailedOutcome = { kind: 'timeout', durationMs: 10_000, error: 'timed out' };
    expect(afterFailure(POLICY, timeout, 26, T0, T0 + POLICY.retryWindowMs + 5, noJitter)).toEqual({ kind: 'give_up' });
  });

  it('given 410 Gone, when scheduled, then the subscription is disabled whatever the window', () => {
    const gone: FailedOutcome = { kind: 'gone', statusCode: 410, durationMs: 1, responseBody: '' };
    expect(afterFailure(POLICY, gone, 1, T0, T0, noJitter)).toEqual({ kind: 'disable' });
  });
});
