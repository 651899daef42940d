import { systemClock, type Clock } from '@lib/conversation-lifecycle';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig } from '@lib/platform';
import { renderHtmlReport, replayReport, toCsv, toJson } from '@lib/reporting';
import { openEventLogForReading } from './open-event-log';
import { ProgressBar } from './progress-bar';
import { writeOutput } from './write-output';

const FORMATS = ['csv', 'json', 'html'] as const;
const TABLES = ['conversations', 'aggregates'] as const;

/** Chart.js's browser build, to inline in the HTML report (the package's exports hide it, its folder does not). */
const chartLibrarySource = (): string => readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');

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
 * per-conversation rows (CSV), the aggregates (CSV with --table aggregates), both (JSON), or a
 * self-contained page with charts above the aggregate tables (HTML).
 * Definitions: libs/reporting/REPORT-DEFINITIONS.md.
 */
export const reportCommand = async (options: ReportOptions, clock: Clock = systemClock): Promise<void> => {
  const format = options.format ?? 'csv';
  if (!FORMATS.includes(format as (typeof FORMATS)[number])) throw new Error(`--format must be csv, json or html, got ${format}`);
  const table = options.table ?? 'conversations';
  if (!TABLES.includes(table as (typeof TABLES)[number])) throw new Error(`--table must be conversations or aggregates, got ${table}`);
  if (options.table !== undefined && format !== 'csv') throw new Error(`--table applies to CSV; ${format.toUpperCase()} holds both tables`);
  if (options.from !== undefined && options.to !== undefined && options.from >= options.to) {
    throw new Error(`--from (${options.from}) must be before --to (${options.to})`);
  }
  const agentCapacity = options.agentCapacity ?? 1;
  if (agentCapacity < 1) throw new Error(`--agent-capacity must be at least 1, got ${agentCapacity}`);

  const config = loadConfig();
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
    const text =
      format === 'json'
        ? toJson(report)
        : format === 'html'
          ? renderHtmlReport(report, {
              chartLibrarySource: chartLibrarySource(),
              serviceLevelThresholdSeconds: config.serviceLevelThresholdMs / 1000,
              generatedAt: clock.now().toISOString(),
            })
          : toCsv(report, table as (typeof TABLES)[number]);
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
