import { ReportBuilder } from '../report-builder';
import { syntheticHistory } from '../testing/synthetic-history';
import { renderHtmlReport } from './html-report';
import { reportCharts } from './report-charts';

const report = () => {
  const builder = new ReportBuilder();
  const history = syntheticHistory();
  builder.applyAll(history.events);
  return builder.finish('2026-03-02T00:00:00.000Z');
};

const OPTIONS = {
  chartLibrarySource: '/* chart library */ window.Chart = function () {};',
  serviceLevelThresholdSeconds: 20,
  generatedAt: '2026-12-04T09:00:00.000Z',
};

describe('renderHtmlReport', () => {
  it('given text from the data that looks like markup, when rendered, then it is escaped in the tables and in the chart data', () => {
    const r = report();
    const hostile = '</script><script>alert(1)</script>';
    const html = renderHtmlReport(
      { ...r, byQueue: [{ ...r.totals, key: hostile }], byAgent: r.byAgent.map((row, i) => (i === 0 ? { ...row, key: hostile } : row)) },
      OPTIONS,
    );
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    // In the chart data the agent's name survives as text: `<` escaped inside the script.
    expect(html).toContain('\\u003c/script>\\u003cscript>alert(1)\\u003c/script>');
  });

  it('inlines the chart library and states a policy that forbids loading anything', () => {
    const html = renderHtmlReport(report(), OPTIONS);
    expect(html).toContain('/* chart library */');
    expect(html).toContain(`default-src 'none'`);
    expect(html.match(/<canvas /g)).toHaveLength(5);
  });
});

describe('reportCharts', () => {
  it('counts service level over the accepted and the abandoned of each hour, and speed to answer over the accepted', () => {
    const r = report();
    const charts = reportCharts(r, 20);
    expect(charts.volumeByHour.reduce((a, b) => a + b, 0)).toBe(r.conversations.length);
    for (const [i, hour] of charts.hours.entries()) {
      const opened = r.conversations.filter((row) => `${row.openedAt.slice(0, 10)} ${row.openedAt.slice(11, 13)}:00` === hour);
      const answered = opened
        .filter((row) => row.firstAcceptedAt !== null)
        .map((row) => (Date.parse(row.firstAcceptedAt as string) - Date.parse(row.openedAt)) / 1000);
      const offered = answered.length + opened.filter((row) => row.abandoned).length;
      expect(charts.serviceLevelByHour[i]).toBe(
        offered === 0 ? null : Math.round((answered.filter((s) => s <= 20).length / offered) * 10_000) / 10_000,
      );
    }
    expect(charts.waitDistribution.counts.reduce((a, b) => a + b, 0)).toBe(
      r.conversations.filter((row) => row.waitBeforeFirstAssignmentSeconds !== null).length,
    );
    const totalHours = charts.timeInStateByChannel.states.flatMap((s) => s.hours).reduce((a, b) => a + b, 0);
    const lifetimeHours = r.conversations.reduce((sum, row) => sum + row.lifetimeSeconds, 0) / 3600;
    expect(totalHours).toBeCloseTo(lifetimeHours, 1);
    expect(charts.agentOccupancy.agents).toEqual(r.byAgent.map((row) => row.key));
  });
});
