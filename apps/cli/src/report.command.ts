import { systemClock, type Clock } from '@lib/conversation-lifecycle';
import { replayReport, toCsv, toJson } from '@lib/reporting';
import { openEventLogForReading } from './open-event-log';
import { ProgressBar } from './progress-bar';
import { writeOutput } from './write-output';

const FORMATS = ['csv', 'json'] as const;
const TABLES = ['conversations', 'aggregates'] as const;

/** As given on the command line (main.ts): times already in UTC, nothing defaulted yet. */
export interface ReportOptions {
  from?: string;
  to?: string;
  format?: string;
  out?: string;
  table?: string;
  agentCapacity?: number;
}

/**
 * Replays the event log through the reporting projections in memory and writes the report:
 * per-conversation rows (CSV), the aggregates (CSV with --table aggregates), or both (JSON).
 * Definitions: libs/reporting/REPORT-DEFINITIONS.md.
 */
export const reportCommand = async (options: ReportOptions, clock: Clock = systemClock): Promise<void> => {
  const format = options.format ?? 'csv';
  if (!FORMATS.includes(format as (typeof FORMATS)[number])) throw new Error(`--format must be csv or json, got ${format}`);
  const table = options.table ?? 'conversations';
  if (!TABLES.includes(table as (typeof TABLES)[number])) throw new Error(`--table must be conversations or aggregates, got ${table}`);
  if (options.table !== undefined && format === 'json') throw new Error('--table applies to CSV; JSON holds both tables');
  if (options.from !== undefined && options.to !== undefined && options.from >= options.to) {
    throw new Error(`--from (${options.from}) must be before --to (${options.to})`);
  }
  const agentCapacity = options.agentCapacity ?? 1;
  if (agentCapacity < 1) throw new Error(`--agent-capacity must be at least 1, got ${agentCapacity}`);

  const { store } = await openEventLogForReading();
  try {
    const bar = new ProgressBar('replaying the event log');
    let events = 0;
    const report = await replayReport(store, {
      from: options.from,
      to: options.to,
      agentCapacity,
      now: clock.now().toISOString(),
      onProgress: (done, total) => {
        events = done;
        bar.update(done, total);
      },
    });
    const seconds = bar.finish();
    const text = format === 'json' ? toJson(report) : toCsv(report, table as (typeof TABLES)[number]);
    writeOutput(text, options.out);
    const rate = seconds > 0 ? Math.round(events / seconds) : events;
    console.error(
      `Replayed ${events} events in ${seconds.toFixed(1)} s (${rate.toLocaleString('en-US')} events/s): ` +
        `${report.conversations.length} conversations${options.out ? ` written to ${options.out}` : ''}`,
    );
  } finally {
    await store.close();
  }
};
