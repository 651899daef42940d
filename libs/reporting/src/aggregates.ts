import type { AgentAggregateRow, AggregateRow, ConversationReportRow } from './report.types';

/** Seconds with millisecond precision from (possibly fractional) milliseconds. */
export const secondsOf = (ms: number): number => Math.round(ms) / 1000;

/** Milliseconds of a row's seconds (rows carry whole milliseconds, so this is exact). */
const msOf = (seconds: number): number => Math.round(seconds * 1000);

/**
 * Nearest-rank percentile: the smallest sample such that at least p% of the samples are <= it,
 * i.e. the sample of rank ceil(p / 100 * n) (1-based) in ascending order. No interpolation, so
 * the result is always one of the samples. Undefined for no samples.
 */
export function nearestRank(sortedAscending: readonly number[], p: number): number | undefined {
  const n = sortedAscending.length;
  if (n === 0) return undefined;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sortedAscending[rank - 1];
}

export interface DurationStats {
  count: number;
  meanSeconds: number | null;
  p50Seconds: number | null;
  p90Seconds: number | null;
}

/** count, mean (rounded to the millisecond), nearest-rank p50 and p90 of millisecond samples. */
export function durationStats(samplesMs: readonly number[]): DurationStats {
  if (samplesMs.length === 0) return { count: 0, meanSeconds: null, p50Seconds: null, p90Seconds: null };
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    meanSeconds: secondsOf(sum / sorted.length),
    p50Seconds: secondsOf(nearestRank(sorted, 50) as number),
    p90Seconds: secondsOf(nearestRank(sorted, 90) as number),
  };
}

const rate = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

/**
 * The figures of one group. `handleMsOf` gives the handle-time sample a row contributes to this
 * group (the whole handle time, or an agent's share), undefined for none.
 */
export function aggregateOf(
  key: string,
  rows: readonly ConversationReportRow[],
  handleMsOf: (row: ConversationReportRow) => number | undefined = (row) =>
    row.handleSeconds === null ? undefined : msOf(row.handleSeconds),
): AggregateRow {
  let closed = 0;
  let abandoned = 0;
  let automaticCloses = 0;
  let transfers = 0;
  let releases = 0;
  let revivals = 0;
  const waits: number[] = [];
  const handles: number[] = [];
  for (const row of rows) {
    if (row.closed) closed += 1;
    if (row.abandoned) abandoned += 1;
    if (row.automaticClose === true) automaticCloses += 1;
    transfers += row.transfers;
    releases += row.releases;
    revivals += row.revivals;
    if (row.waitBeforeFirstAssignmentSeconds !== null) waits.push(msOf(row.waitBeforeFirstAssignmentSeconds));
    const handle = handleMsOf(row);
    if (handle !== undefined) handles.push(handle);
  }
  const wait = durationStats(waits);
  const handle = durationStats(handles);
  return {
    key,
    conversations: rows.length,
    closed,
    abandoned,
    abandonmentRate: rate(abandoned, closed),
    automaticCloses,
    autoCloseRate: rate(automaticCloses, closed),
    transfers,
    releases,
    revivals,
    waitCount: wait.count,
    waitMeanSeconds: wait.meanSeconds,
    waitP50Seconds: wait.p50Seconds,
    waitP90Seconds: wait.p90Seconds,
    handleCount: handle.count,
    handleMeanSeconds: handle.meanSeconds,
    handleP50Seconds: handle.p50Seconds,
    handleP90Seconds: handle.p90Seconds,
  };
}

const byKey = <T extends { key: string }>(a: T, b: T): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** One aggregate per distinct key, ordered by key. */
export function groupBy(rows: readonly ConversationReportRow[], keyOf: (row: ConversationReportRow) => string): AggregateRow[] {
  const groups = new Map<string, ConversationReportRow[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups].map(([key, group]) => aggregateOf(key, group)).sort(byKey);
}

/**
 * One aggregate per agent: the conversations the agent held (one row may count for several
 * agents), the agent's own handle-time share as its handle sample, how many it consulted on,
 * and its time at or over capacity. Agents that only have capacity time (they held
 * conversations opened before `from`) are listed with zero conversations.
 */
export function groupByAgent(rows: readonly ConversationReportRow[], atOrOverCapacityMs: ReadonlyMap<string, number>): AgentAggregateRow[] {
  const held = new Map<string, ConversationReportRow[]>();
  const consulted = new Map<string, number>();
  for (const row of rows) {
    for (const agentId of row.agentsHeld) {
      const group = held.get(agentId);
      if (group) group.push(row);
      else held.set(agentId, [row]);
    }
    for (const agentId of row.consultants) consulted.set(agentId, (consulted.get(agentId) ?? 0) + 1);
  }
  const agents = new Set<string>([...held.keys(), ...consulted.keys()]);
  for (const [agentId, ms] of atOrOverCapacityMs) if (ms > 0) agents.add(agentId);
  return [...agents]
    .map((agentId): AgentAggregateRow => {
      const share = (row: ConversationReportRow): number | undefined => {
        const seconds = row.handleSecondsByAgent[agentId];
        return seconds === undefined ? undefined : msOf(seconds);
      };
      const group = held.get(agentId) ?? [];
      const handleTotalMs = group.reduce((total, row) => total + (share(row) ?? 0), 0);
      return {
        ...aggregateOf(agentId, group, share),
        consulted: consulted.get(agentId) ?? 0,
        handleTotalSeconds: secondsOf(handleTotalMs),
        atOrOverCapacitySeconds: secondsOf(atOrOverCapacityMs.get(agentId) ?? 0),
      };
    })
    .sort(byKey);
}
