import type { AgentAggregateRow, AggregateRow, Report } from '../report.types';
import { reportCharts, type ReportCharts } from './report-charts';

export interface HtmlReportOptions {
  /** The charting library's browser build (Chart.js UMD), inlined: the page makes no request. */
  chartLibrarySource: string;
  /** Service level counts the accepted within this many seconds (SERVICE_LEVEL_THRESHOLD). */
  serviceLevelThresholdSeconds: number;
  /** When the report was made, shown in its header. */
  generatedAt: string;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** JSON inside a <script>: `<` escaped, so no string in the data can close the script early. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

const formatCell = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(value < 1 ? 3 : 1);
  return String(value);
};

const COLUMNS: Array<{ key: keyof AggregateRow; label: string }> = [
  { key: 'key', label: '' },
  { key: 'conversations', label: 'conversations' },
  { key: 'closed', label: 'closed' },
  { key: 'abandoned', label: 'abandoned' },
  { key: 'abandonmentRate', label: 'abandonment rate' },
  { key: 'autoCloseRate', label: 'auto-close rate' },
  { key: 'transfers', label: 'transfers' },
  { key: 'waitMeanSeconds', label: 'wait mean (s)' },
  { key: 'waitP90Seconds', label: 'wait p90 (s)' },
  { key: 'handleMeanSeconds', label: 'handle mean (s)' },
  { key: 'handleP90Seconds', label: 'handle p90 (s)' },
];
const AGENT_COLUMNS: Array<{ key: keyof AgentAggregateRow; label: string }> = [
  ...COLUMNS,
  { key: 'handleTotalSeconds', label: 'handle total (s)' },
  { key: 'atOrOverCapacitySeconds', label: 'at/over capacity (s)' },
];

const table = <Row>(title: string, columns: Array<{ key: keyof Row; label: string }>, rows: readonly Row[]): string =>
  `<h3>${escapeHtml(title)}</h3><table><thead><tr>${columns.map((c) => `<th>${escapeHtml(c.label)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((row) => `<tr>${columns.map((c) => `<td>${escapeHtml(formatCell(row[c.key]))}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;

const CHARTS: Array<{ id: string; title: string }> = [
  { id: 'volume-by-hour', title: 'Volume by hour (conversations opened)' },
  { id: 'service-level-by-hour', title: 'Service level and speed to answer by hour' },
  { id: 'wait-distribution', title: 'Distribution of waits before first assignment' },
  { id: 'time-in-state-by-channel', title: 'Time in each state by channel (hours)' },
  { id: 'agent-occupancy', title: 'Agent occupancy' },
];

/**
 * The report as one self-contained HTML file: five charts drawn by the inlined charting library
 * from the numbers of reportCharts, and the aggregate tables below them. It loads nothing from
 * anywhere: no script, style, font or image comes from outside the file.
 */
export function renderHtmlReport(report: Report, options: HtmlReportOptions): string {
  const charts: ReportCharts = reportCharts(report, options.serviceLevelThresholdSeconds);
  const window = `${report.from ?? 'the beginning'} to ${report.to ?? report.asOf}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>Work items report: ${escapeHtml(window)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 24px; color: #1f2933; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; } h3 { font-size: 15px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 24px; }
figure { margin: 0; border: 1px solid #d9e2ec; border-radius: 6px; padding: 12px; }
figcaption { font-weight: 600; margin-bottom: 8px; }
table { border-collapse: collapse; margin-bottom: 16px; font-size: 13px; }
th, td { border: 1px solid #d9e2ec; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
</style>
</head>
<body data-charts-drawn="0">
<h1>Work items report</h1>
<p>Conversations opened from ${escapeHtml(window)}; books closed at ${escapeHtml(report.asOf)}; ${report.conversations.length} conversations,
log read through position ${report.throughPosition}. Service level threshold ${options.serviceLevelThresholdSeconds} s. Generated ${escapeHtml(options.generatedAt)}.</p>
<h2>Charts</h2>
<div class="charts">
${CHARTS.map((chart) => `<figure><figcaption>${escapeHtml(chart.title)}</figcaption><canvas id="${chart.id}" width="560" height="300"></canvas></figure>`).join('\n')}
</div>
<h2>Tables</h2>
${table('All conversations', COLUMNS, [report.totals])}
${table('By queue', COLUMNS, report.byQueue)}
${table('By agent', AGENT_COLUMNS, report.byAgent)}
${table('By channel', COLUMNS, report.byChannel)}
${table('By day', COLUMNS, report.byDay)}
<script>${options.chartLibrarySource.replace(/<\/script/gi, '<\\/script')}</script>
<script>
(function () {
  var data = ${scriptJson(charts)};
  var common = { animation: false, responsive: false, devicePixelRatio: 1, plugins: { legend: { position: 'bottom' } } };
  var palette = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2'];
  function draw(id, config) { new Chart(document.getElementById(id), config); }
  draw('volume-by-hour', { type: 'bar', data: { labels: data.hours, datasets: [{ label: 'conversations opened', data: data.volumeByHour, backgroundColor: palette[0] }] }, options: common });
  draw('service-level-by-hour', {
    type: 'line',
    data: { labels: data.hours, datasets: [
      { label: 'service level (answered within ' + data.serviceLevelThresholdSeconds + ' s)', data: data.serviceLevelByHour.map(function (v) { return v === null ? null : v * 100; }), borderColor: palette[1], yAxisID: 'percent', spanGaps: true },
      { label: 'speed to answer (s, mean)', data: data.speedToAnswerByHour, borderColor: palette[2], yAxisID: 'seconds', spanGaps: true }
    ] },
    options: Object.assign({}, common, { scales: { percent: { type: 'linear', position: 'left', min: 0, max: 100, title: { display: true, text: '%' } }, seconds: { type: 'linear', position: 'right', min: 0, title: { display: true, text: 'seconds' }, grid: { drawOnChartArea: false } } } })
  });
  draw('wait-distribution', { type: 'bar', data: { labels: data.waitDistribution.labels, datasets: [{ label: 'conversations', data: data.waitDistribution.counts, backgroundColor: palette[4] }] }, options: common });
  draw('time-in-state-by-channel', {
    type: 'bar',
    data: { labels: data.timeInStateByChannel.channels, datasets: data.timeInStateByChannel.states.map(function (s, i) { return { label: s.state, data: s.hours, backgroundColor: palette[i % palette.length] }; }) },
    options: Object.assign({}, common, { scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: 'hours' } } } })
  });
  draw('agent-occupancy', {
    type: 'bar',
    data: { labels: data.agentOccupancy.agents, datasets: [
      { label: 'occupancy (%)', data: data.agentOccupancy.occupancy.map(function (v) { return v * 100; }), backgroundColor: palette[0], yAxisID: 'percent' },
      { label: 'at or over capacity (hours)', data: data.agentOccupancy.atOrOverCapacityHours, backgroundColor: palette[3], yAxisID: 'hours' }
    ] },
    options: Object.assign({}, common, { scales: { percent: { type: 'linear', position: 'left', min: 0, title: { display: true, text: '%' } }, hours: { type: 'linear', position: 'right', min: 0, title: { display: true, text: 'hours' }, grid: { drawOnChartArea: false } } } })
  });
  document.body.setAttribute('data-charts-drawn', String(Object.keys(Chart.instances).length));
})();
</script>
</body>
</html>
`;
}
