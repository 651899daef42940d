import { DEFAULT_TIMER_POLICY } from '@lib/domain';
import { ConfigError, loadConfig } from './app-config';

const refusal = (env: Record<string, string>): ConfigError => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
};

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe('timer configuration', () => {
  it('defaults to the documented policy (DESIGN.md), a 5 minute sweep and a 1 second poll', () => {
    const config = loadConfig({});
    expect(config.timerPolicy).toEqual(DEFAULT_TIMER_POLICY);
    expect(config.autoCloseSweepIntervalMs).toBe(5 * MINUTE);
    expect(config.timerPollIntervalMs).toBe(1000);
    expect(config.timers).toBe('on');
  });

  it('an auto-close variable replaces the statuses it names and keeps the others', () => {
    const config = loadConfig({ AUTO_CLOSE_LIVE_CHAT: 'open=2s, active=1h', AUTO_CLOSE_SMS: 'waiting=never' });
    expect(config.timerPolicy.autoClose.live_chat).toEqual({ open: 2000, active: 60 * MINUTE, waiting: null, wrap_up: 15 * MINUTE });
    expect(config.timerPolicy.autoClose.sms).toEqual({ open: 30 * DAY, active: 30 * DAY, waiting: null, wrap_up: DAY });
    expect(config.timerPolicy.autoClose.voice).toEqual(DEFAULT_TIMER_POLICY.autoClose.voice);
  });

  it('reads every other duration, beyond the 24 days a Node timer can wait', () => {
    const config = loadConfig({
      PUSH_RESERVATION_TIMEOUT: '30s',
      AGENT_DISCONNECT_TIMEOUT: '90s',
      CUSTOMER_DISCONNECT_TIMEOUT: '1m',
      WAITING_INACTIVITY_TIMEOUT: '60d',
      AUTO_CLOSE_SWEEP_INTERVAL: '1m',
      TIMER_POLL_INTERVAL: '250ms',
      TIMERS: 'off',
    });
    expect(config.timerPolicy).toMatchObject({
      pushReservationTimeoutMs: 30_000,
      agentDisconnectTimeoutMs: 90_000,
      customerDisconnectTimeoutMs: MINUTE,
      waitingInactivityTimeoutMs: 60 * DAY,
    });
    expect(config).toMatchObject({ autoCloseSweepIntervalMs: MINUTE, timerPollIntervalMs: 250, timers: 'off' });
  });

  it.each([
    [{ AUTO_CLOSE_LIVE_CHAT: 'open=soon' }, 'AUTO_CLOSE_LIVE_CHAT', /"soon" \(open\) is not a duration/],
    [{ AUTO_CLOSE_LIVE_CHAT: 'waiting=1h' }, 'AUTO_CLOSE_LIVE_CHAT', /"waiting" is not a status live_chat can auto-close from; use open, active, wrap_up/],
    [{ AUTO_CLOSE_VOICE: 'closed=1h' }, 'AUTO_CLOSE_VOICE', /"closed" is not a status/],
    [{ AUTO_CLOSE_SMS: 'open=1h,open=2h' }, 'AUTO_CLOSE_SMS', /"open" is given twice/],
    [{ AUTO_CLOSE_TEAMS: '30d' }, 'AUTO_CLOSE_TEAMS', /"30d" is not status=duration, as in open=30d,active=30d,waiting=30d,wrap_up=1d/],
    [{ AUTO_CLOSE_RECORD: 'open=0s' }, 'AUTO_CLOSE_RECORD', /must be longer than 0; use never to turn it off/],
    [{ AUTO_CLOSE_PERSISTENT_CHAT: 'open=400d' }, 'AUTO_CLOSE_PERSISTENT_CHAT', /longer than the longest supported, 365d/],
    [{ PUSH_RESERVATION_TIMEOUT: 'never' }, 'PUSH_RESERVATION_TIMEOUT', /"never" is not a duration/],
    [{ CUSTOMER_DISCONNECT_TIMEOUT: '0' }, 'CUSTOMER_DISCONNECT_TIMEOUT', /must be longer than 0/],
    [{ TIMER_POLL_INTERVAL: '30d' }, 'TIMER_POLL_INTERVAL', /longer than the longest supported/],
    [{ TIMERS: 'sometimes' }, 'TIMERS', /not one of on, off/],
  ])('refuses %j, naming %s', (env, key, message) => {
    const error = refusal(env as Record<string, string>);
    expect(error.key).toBe(key);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(key);
  });
});
