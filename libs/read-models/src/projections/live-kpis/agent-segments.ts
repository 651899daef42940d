import { PRESENCES, claimCounts, presencesAllowing, type Presence, type RegisteredAgent } from '@lib/domain';

/** Presences in which an agent can take work (picks at least): the time occupancy is measured over. */
export const WORKING_PRESENCES: readonly Presence[] = presencesAllowing('pick');

/** Running totals of an agent since it was registered, in milliseconds (unit-milliseconds for capacity). */
export interface AgentTotals {
  presenceMs: Record<Presence, number>;
  /** Units of capacity held (assigned or blocked by wrap-up) × time, while in a working presence. */
  occupiedUnitMs: number;
  /** Units of capacity × time, while in a working presence. */
  capacityUnitMs: number;
}

/**
 * A stretch of an agent's time in which its presence, capacity and claims did not change
 * (except wrap-up blocks running out, listed in `expiries`), with the totals at its start, so
 * the totals at any instant are one segment's start plus what accrued inside it.
 */
export interface AgentSegment {
  seq: number;
  startedMs: number;
  /** null while it is the agent's current segment. */
  endedMs: number | null;
  presence: Presence;
  capacity: number;
  /** Units counting against capacity at the segment's start. */
  usedUnits: number;
  /** Wrap-up blocks that stop counting inside the segment: [epoch ms, units], in time order. */
  expiries: Array<[number, number]>;
  totalsAtStart: AgentTotals;
}

export const zeroTotals = (): AgentTotals => ({
  presenceMs: Object.fromEntries(PRESENCES.map((presence) => [presence, 0])) as Record<Presence, number>,
  occupiedUnitMs: 0,
  capacityUnitMs: 0,
});

/** The segment an agent in this state starts at `startedMs`. */
export function segmentOf(agent: RegisteredAgent, seq: number, startedMs: number, totalsAtStart: AgentTotals): AgentSegment {
  const startIso = new Date(startedMs).toISOString();
  let usedUnits = 0;
  const expiries: Array<[number, number]> = [];
  for (const claim of Object.values(agent.claims)) {
    if (!claimCounts(claim, startIso)) continue;
    usedUnits += claim.units;
    if (claim.holding === 'wrap_up' && claim.blockedUntil !== undefined) expiries.push([Date.parse(claim.blockedUntil), claim.units]);
  }
  expiries.sort((a, b) => a[0] - b[0]);
  return { seq, startedMs, endedMs: null, presence: agent.presence, capacity: agent.capacity, usedUnits, expiries, totalsAtStart };
}

/** What about an agent a segment depends on: a new segment starts when this changes. */
export const segmentShape = (agent: RegisteredAgent): string =>
  JSON.stringify([
    agent.presence,
    agent.capacity,
    Object.values(agent.claims).map((claim) => [claim.conversationId, claim.units, claim.holding, claim.blockedUntil]),
  ]);

/** The agent's totals at `atMs`, read from the segment it falls in (clamped to the segment's span). */
export function totalsAt(segment: AgentSegment, atMs: number): AgentTotals {
  const endMs = Math.max(segment.startedMs, Math.min(atMs, segment.endedMs ?? atMs));
  const elapsed = endMs - segment.startedMs;
  const totals: AgentTotals = {
    presenceMs: { ...segment.totalsAtStart.presenceMs },
    occupiedUnitMs: segment.totalsAtStart.occupiedUnitMs,
    capacityUnitMs: segment.totalsAtStart.capacityUnitMs,
  };
  totals.presenceMs[segment.presence] += elapsed;
  if (WORKING_PRESENCES.includes(segment.presence)) {
    totals.capacityUnitMs += segment.capacity * elapsed;
    let occupied = segment.usedUnits * elapsed;
    // A block that ran out stops counting from then to the end of the span.
    for (const [expiresMs, units] of segment.expiries) {
      if (expiresMs < endMs) occupied -= units * (endMs - Math.max(expiresMs, segment.startedMs));
    }
    totals.occupiedUnitMs += occupied;
  }
  return totals;
}

/** b − a, member by member: what accrued between two instants. */
export function totalsBetween(a: AgentTotals, b: AgentTotals): AgentTotals {
  return {
    presenceMs: Object.fromEntries(PRESENCES.map((presence) => [presence, b.presenceMs[presence] - a.presenceMs[presence]])) as Record<
      Presence,
      number
    >,
    occupiedUnitMs: b.occupiedUnitMs - a.occupiedUnitMs,
    capacityUnitMs: b.capacityUnitMs - a.capacityUnitMs,
  };
}
