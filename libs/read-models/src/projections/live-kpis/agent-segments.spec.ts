/** Agent segments and their running totals, given/when/then on hand-made agent states. */
import type { RegisteredAgent } from '@lib/domain';
import { segmentOf, totalsAt, totalsBetween, zeroTotals } from './agent-segments';

const T0 = Date.parse('2026-03-01T08:00:00.000Z');
const S = 1000;
const iso = (ms: number) => new Date(ms).toISOString();

const agent = (presence: RegisteredAgent['presence'], claims: RegisteredAgent['claims'] = {}, capacity = 2): RegisteredAgent => ({
  status: 'registered',
  id: 'ann',
  capacity,
  queueIds: ['q'],
  presence,
  presenceSince: iso(T0),
  claims,
});

const claim = (conversationId: string, holding: 'assigned' | 'wrap_up', blockedUntil?: number) => ({
  conversationId,
  reservationId: `r-${conversationId}`,
  channel: 'voice' as const,
  queueId: 'q',
  units: 1,
  forced: false,
  holding,
  blockedUntil: blockedUntil === undefined ? undefined : iso(blockedUntil),
  conversationRevision: 1,
  since: iso(T0),
});

describe('agent segments', () => {
  it('available with one unit held of two: presence time, capacity and held capacity accrue with time', () => {
    const segment = segmentOf(agent('available', { c1: claim('c1', 'assigned') }), 0, T0, zeroTotals());
    const totals = totalsAt(segment, T0 + 100 * S);
    expect(totals.presenceMs.available).toBe(100 * S);
    expect(totals.capacityUnitMs).toBe(200 * S);
    expect(totals.occupiedUnitMs).toBe(100 * S);
  });

  it('a wrap-up block that runs out inside the segment stops counting then, with no event', () => {
    const segment = segmentOf(agent('busy', { c1: claim('c1', 'wrap_up', T0 + 45 * S), c2: claim('c2', 'assigned') }), 0, T0, zeroTotals());
    expect(segment.usedUnits).toBe(2);
    expect(segment.expiries).toEqual([[T0 + 45 * S, 1]]);
    expect(totalsAt(segment, T0 + 30 * S).occupiedUnitMs).toBe(60 * S);
    expect(totalsAt(segment, T0 + 100 * S).occupiedUnitMs).toBe(100 * S + 45 * S);
  });

  it('a block already over at the segment start does not count at all', () => {
    const segment = segmentOf(agent('available', { c1: claim('c1', 'wrap_up', T0 - S) }), 0, T0, zeroTotals());
    expect(segment.usedUnits).toBe(0);
    expect(totalsAt(segment, T0 + 10 * S).occupiedUnitMs).toBe(0);
  });

  it('away or offline: presence time accrues, but neither side of occupancy', () => {
    const segment = segmentOf(agent('away', { c1: claim('c1', 'assigned') }), 0, T0, zeroTotals());
    const totals = totalsAt(segment, T0 + 60 * S);
    expect(totals.presenceMs.away).toBe(60 * S);
    expect(totals).toMatchObject({ capacityUnitMs: 0, occupiedUnitMs: 0 });
  });

  it('an ended segment stops at its end; an instant before its start reads its start totals', () => {
    const segment = { ...segmentOf(agent('available'), 3, T0, zeroTotals()), endedMs: T0 + 10 * S };
    expect(totalsAt(segment, T0 + 60 * S).presenceMs.available).toBe(10 * S);
    expect(totalsAt(segment, T0 - 60 * S).presenceMs.available).toBe(0);
  });

  it('a window is the difference of the totals at its two ends', () => {
    const first = segmentOf(agent('available'), 0, T0, zeroTotals());
    const ended = { ...first, endedMs: T0 + 30 * S };
    const second = segmentOf(agent('busy_dnd', {}, 2), 1, T0 + 30 * S, totalsAt(ended, T0 + 30 * S));
    const window = totalsBetween(totalsAt(ended, T0 + 20 * S), totalsAt(second, T0 + 50 * S));
    expect(window.presenceMs).toEqual({ available: 10 * S, busy: 0, busy_dnd: 20 * S, away: 0, offline: 0 });
    expect(window.capacityUnitMs).toBe(60 * S);
  });
});
