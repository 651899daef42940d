import { DateTime } from 'luxon';
import type { KpiWindow } from '@lib/read-models';

export const KPI_WINDOWS = ['15m', '1h', 'today'] as const;
export type KpiWindowName = (typeof KPI_WINDOWS)[number];

const ROLLING_MS: Record<Exclude<KpiWindowName, 'today'>, number> = { '15m': 15 * 60_000, '1h': 3_600_000 };

/**
 * The span a window name covers as of `now`: the last 15 minutes or hour, or since midnight
 * of `now`'s day in `timeZone` (a day the clocks change is 23 or 25 hours long).
 */
export function resolveKpiWindow(name: KpiWindowName, now: Date, timeZone: string): KpiWindow {
  const nowMs = now.getTime();
  if (name === 'today') return { startMs: DateTime.fromMillis(nowMs, { zone: timeZone }).startOf('day').toMillis(), nowMs };
  return { startMs: nowMs - ROLLING_MS[name], nowMs };
}
