import type { Report } from '../report.types';

/**
 * What the HTML report draws, computed from a report (pure: the page only draws these numbers).
 * Definitions in libs/reporting/REPORT-DEFINITIONS.md ("HTML report").
 */
export interface ReportCharts {
  /** UTC hours of the window that saw conversations opened, `YYYY-MM-DD HH:00`, in order. */
  hours: string[];
  /** Conversations opened per hour. */
  volumeByHour: number[];
  /** Per hour: accepted within the threshold / (accepted + abandoned); null when none of either. */
  serviceLevelByHour: Array<number | null>;
  /** Per hour: mean seconds from open to first acceptance of the accepted ones; null when none. */
  speedToAnswerByHour: Array<number | null>;
  serviceLevelThresholdSeconds: number;
  /** Conversations by wait before first assignment, in WAIT_BUCKETS. */
  waitDistribution: { labels: string[]; counts: number[] };
  /** Hours spent in each state by the conversations of each channel. */
  timeInStateByChannel: { channels: string[]; states: Array<{ state: string; hours: number[] }> };
  /** Per agent: handle time / (capacity x the report's window); and its time at or over capacity. */
  agentOccupancy: { agents: string[]; occupancy: number[]; atOrOverCapacityHours: number[] };
}

const WAIT_BUCKETS: Array<{ label: string; upToSeconds: number }> = [
  { label: '< 10 s', upToSeconds: 10 },
  { label: '10-20 s', upToSeconds: 20 },
  { label: '20-30 s', upToSeconds: 30 },
  { label: '30-60 s', upToSeconds: 60 },
  { label: '1-2 min', upToSeconds: 120 },
  { label: '2-5 min', upToSeconds: 300 },
  { label: '5-10 min', upToSeconds: 600 },
  { label: '≥ 10 min', upToSeconds: Infinity },
];

const HOUR_MS = 3_600_000;
const round = (value: number, decimals = 3) => Math.round(value * 10 ** decimals) / 10 ** decimals;
const hourOf = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 13)}:00`;
const secondsBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

export function reportCharts(report: Report, serviceLevelThresholdSeconds: number): ReportCharts {
  const rows = report.conversations;
  const hours = [...new Set(rows.map((row) => hourOf(row.openedAt)))].sort();
  const byHour = new Map(hours.map((hour) => [hour, rows.filter((row) => hourOf(row.openedAt) === hour)]));

  const serviceLevelByHour: Array<number | null> = [];
  const speedToAnswerByHour: Array<number | null> = [];
  for (const hour of hours) {
    const opened = byHour.get(hour) ?? [];
    const answerSeconds = opened
      .filter((row) => row.firstAcceptedAt !== null)
      .map((row) => secondsBetween(row.openedAt, row.firstAcceptedAt as string));
    const abandoned = opened.filter((row) => row.abandoned).length;
    const withinThreshold = answerSeconds.filter((seconds) => seconds <= serviceLevelThresholdSeconds).length;
    const offered = answerSeconds.length + abandoned;
    serviceLevelByHour.push(offered === 0 ? null : round(withinThreshold / offered, 4));
    speedToAnswerByHour.push(answerSeconds.length === 0 ? null : round(answerSeconds.reduce((a, b) => a + b, 0) / answerSeconds.length));
  }

  const counts = WAIT_BUCKETS.map(() => 0);
  for (const row of rows) {
    if (row.waitBeforeFirstAssignmentSeconds === null) continue;
    counts[WAIT_BUCKETS.findIndex((bucket) => (row.waitBeforeFirstAssignmentSeconds as number) < bucket.upToSeconds)] += 1;
  }

  const channels = [...new Set(rows.map((row) => row.channel))].sort();
  const stateSeconds: Array<{ state: string; of: (row: Report['conversations'][number]) => number }> = [
    { state: 'open (in queue)', of: (row) => row.openSeconds },
    { state: 'awaiting acceptance', of: (row) => row.awaitingAcceptanceSeconds },
    { state: 'active', of: (row) => row.activeSeconds - row.awaitingAcceptanceSeconds },
    { state: 'waiting', of: (row) => row.waitingSeconds },
    { state: 'wrap-up', of: (row) => row.wrapUpSeconds },
  ];
  const states = stateSeconds.map(({ state, of }) => ({
    state,
    hours: channels.map((channel) => round(rows.filter((row) => row.channel === channel).reduce((sum, row) => sum + of(row), 0) / 3600)),
  }));

  const windowStart = report.from ?? rows[0]?.openedAt ?? report.asOf;
  const windowHours = Math.max(0, Date.parse(report.asOf) - Date.parse(windowStart)) / HOUR_MS;
  const agents = report.byAgent.map((row) => row.key);
  const occupancy = report.byAgent.map((row) =>
    windowHours === 0 ? 0 : round(row.handleTotalSeconds / 3600 / (report.agentCapacity * windowHours), 4),
  );
  const atOrOverCapacityHours = report.byAgent.map((row) => round(row.atOrOverCapacitySeconds / 3600));

  return {
    hours,
    volumeByHour: hours.map((hour) => byHour.get(hour)?.length ?? 0),
    serviceLevelByHour,
    speedToAnswerByHour,
    serviceLevelThresholdSeconds,
    waitDistribution: { labels: WAIT_BUCKETS.map((bucket) => bucket.label), counts },
    timeInStateByChannel: { channels, states },
    agentOccupancy: { agents, occupancy, atOrOverCapacityHours },
  };
}
