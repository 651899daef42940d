/**
 * Reporting: replays the event log through in-memory projections into per-conversation rows
 * and aggregates (CSV / JSON), and rebuilds a queue's contents as of a past time.
 * Definitions: libs/reporting/REPORT-DEFINITIONS.md.
 */
export * from './report.types';
export { ReportBuilder, validateReportOptions } from './report-builder';
export { nearestRank, durationStats, type DurationStats } from './aggregates';
export { toCsv, toJson, csvField, formatCsv, CONVERSATION_COLUMNS, AGGREGATE_COLUMNS } from './report-format';
export type { CsvCell, ReportTable } from './report-format';
export { replayReport, replayInto, readLog, DEFAULT_REPLAY_BATCH_SIZE } from './replay-report';
export type { ReplayReportOptions, ReadLogOptions } from './replay-report';
export { queueViewAsOf, QueueViewBuilder } from './queue-view-as-of';
export type { QueueItemAsOf, QueueAsOf, QueueViewAsOf } from './queue-view-as-of';
export { renderHtmlReport, type HtmlReportOptions } from './html/html-report';
export { reportCharts, type ReportCharts } from './html/report-charts';
