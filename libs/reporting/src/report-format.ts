import { stringify, type Options } from 'csv-stringify/sync';
import type { AgentAggregateRow, AggregateRow, ConversationReportRow, Report } from './report.types';

/**
 * Output formats. CSV is written by csv-stringify and follows RFC 4180: CRLF line ends (after
 * the last record too), a header record, and a field is wrapped in double quotes when it holds a
 * comma, a double quote, CR or LF, with each double quote inside doubled. Column names are the
 * JSON field names. A text cell a spreadsheet would run as a formula (starting with `=`, `+`,
 * `-`, `@`, tab or CR: a close reason typed by someone, say) is written with a leading `'`, so it
 * opens as text; numbers, negative ones included, are written as they are.
 * Cells: null -> empty; booleans -> true / false; numbers as JSON writes them (seconds with up
 * to three decimals); lists -> items joined with `;`; handleSecondsByAgent -> `agent=seconds`
 * pairs joined with `;`.
 *
 * A report makes two tables, so two CSV documents (RFC 4180 has one table per file):
 * toCsv(report, 'conversations') and toCsv(report, 'aggregates') (the second has a `group`
 * column: all, queue, agent, channel or day).
 */

export type CsvCell = string | number | boolean | null | undefined;

const CSV_OPTIONS: Options = {
  record_delimiter: 'windows',
  escape_formulas: true,
  // csv-stringify writes booleans as 1 and empty by default.
  cast: { boolean: (value) => String(value) },
};

/** One field, as it appears in a record. */
export function csvField(value: CsvCell): string {
  return stringify([[value]], { ...CSV_OPTIONS, record_delimiter: '' });
}

/** A whole CSV document: header then records, each line ended by CRLF. */
export function formatCsv(header: readonly string[], records: readonly (readonly CsvCell[])[]): string {
  return stringify([header, ...records] as CsvCell[][], CSV_OPTIONS);
}

export const CONVERSATION_COLUMNS = [
  'conversationId',
  'channel',
  'queueId',
  'openedQueueId',
  'customerId',
  'priority',
  'openedAt',
  'openedDay',
  'status',
  'closed',
  'closedAt',
  'lifetimeSeconds',
  'openSeconds',
  'activeSeconds',
  'awaitingAcceptanceSeconds',
  'waitingSeconds',
  'wrapUpSeconds',
  'firstAssignedAt',
  'waitBeforeFirstAssignmentSeconds',
  'firstAcceptedAt',
  'handleSeconds',
  'handleSecondsByAgent',
  'agentsInvolved',
  'agentsHeld',
  'consultants',
  'lastAgentId',
  'transfers',
  'transfersToQueue',
  'transfersToAgent',
  'releases',
  'revivals',
  'parks',
  'pushesRejected',
  'pushesExpired',
  'requeuedAfterAgentDisconnect',
  'abandoned',
  'closeEvent',
  'closedByKind',
  'closedById',
  'closeReason',
  'automaticClose',
] as const satisfies readonly (keyof ConversationReportRow)[];

export const AGGREGATE_COLUMNS = [
  'group',
  'key',
  'conversations',
  'closed',
  'abandoned',
  'abandonmentRate',
  'automaticCloses',
  'autoCloseRate',
  'transfers',
  'releases',
  'revivals',
  'waitCount',
  'waitMeanSeconds',
  'waitP50Seconds',
  'waitP90Seconds',
  'handleCount',
  'handleMeanSeconds',
  'handleP50Seconds',
  'handleP90Seconds',
  'consulted',
  'handleTotalSeconds',
  'atOrOverCapacitySeconds',
] as const satisfies readonly ('group' | keyof AgentAggregateRow)[];

const cellOf = (value: unknown): CsvCell => {
  if (Array.isArray(value)) return value.join(';');
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `${key}=${String(item)}`)
      .join(';');
  }
  return value as CsvCell;
};

export type ReportTable = 'conversations' | 'aggregates';

/** One table of the report as an RFC 4180 CSV document (see the top of this file). */
export function toCsv(report: Report, table: ReportTable = 'conversations'): string {
  if (table === 'conversations') {
    return formatCsv(
      CONVERSATION_COLUMNS,
      report.conversations.map((row) => CONVERSATION_COLUMNS.map((column) => cellOf(row[column]))),
    );
  }
  if (table !== 'aggregates') throw new RangeError(`Unknown report table ${String(table)}: conversations or aggregates`);
  const groups: [string, readonly (AggregateRow | AgentAggregateRow)[]][] = [
    ['all', [report.totals]],
    ['queue', report.byQueue],
    ['agent', report.byAgent],
    ['channel', report.byChannel],
    ['day', report.byDay],
  ];
  const records = groups.flatMap(([group, rows]) =>
    rows.map((row) =>
      AGGREGATE_COLUMNS.map((column) => (column === 'group' ? group : cellOf((row as Partial<AgentAggregateRow>)[column]))),
    ),
  );
  return formatCsv(AGGREGATE_COLUMNS, records);
}

/** The report as JSON (2-space indent); JSON.parse gives back a value deep-equal to the report. */
export function toJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
