import { InMemoryEventStore } from '@lib/event-store';
import { replayReport } from './replay-report';
import { ReportBuilder } from './report-builder';
import { at } from './testing/history';
import { A, B, C, END, syntheticHistory } from './testing/synthetic-history';

/** The synthetic history's timeline is in testing/synthetic-history.ts. */
describe('report window (from inclusive, to exclusive, by openedAt)', () => {
  let store: InMemoryEventStore;
  beforeAll(async () => {
    store = new InMemoryEventStore();
    await syntheticHistory().writeTo(store);
  });

  it('covers the conversations opened in [from, to) and cuts them at to', async () => {
    const report = await replayReport(store, { from: at(10), to: at(45), now: at(END) });
    // opened at 10 (c4, from is inclusive), 12 (c5), 13 (c6), 40 (c7); c1-c3 before, c8/c9 after
    expect(report.conversations.map((r) => r.conversationId)).toEqual(['c4', 'c5', 'c6', 'c7']);
    expect(report).toMatchObject({ from: at(10), to: at(45), asOf: at(45) });
    // c6 still in wrap-up at 45: wrap-up 30-45 = 15 min; lifetime 45 - 13 = 32 min
    expect(report.conversations[2]).toMatchObject({
      conversationId: 'c6',
      closed: false,
      status: 'wrap_up',
      lifetimeSeconds: 1920,
      openSeconds: 480,
      activeSeconds: 540,
      awaitingAcceptanceSeconds: 60,
      wrapUpSeconds: 900,
      handleSeconds: 1380, // 540 - 60 + 900
      handleSecondsByAgent: { [A]: 1200, [C]: 180 }, // A 25-45; C 16-19
    });
    // c7 at 45: picked at 44, resolved at 50 (ignored): active 41-43 (awaiting) + 44-45
    expect(report.conversations[3]).toMatchObject({
      conversationId: 'c7',
      closed: false,
      status: 'active',
      closedAt: null,
      closeEvent: null,
      lifetimeSeconds: 300,
      openSeconds: 120,
      activeSeconds: 180,
      awaitingAcceptanceSeconds: 120,
      handleSeconds: 60,
      handleSecondsByAgent: { [B]: 60 },
      pushesExpired: 1,
    });
    // c4 and c5 closed inside the window: complete
    expect(report.conversations[0]).toMatchObject({ conversationId: 'c4', closed: true, lifetimeSeconds: 1500, handleSeconds: 1440 });
    expect(report.totals).toMatchObject({ conversations: 4, closed: 2, abandoned: 0, automaticCloses: 1, autoCloseRate: 0.5 });
  });

  it('counts capacity time inside [from, to) from every conversation agents held, also those opened before from', async () => {
    const report = await replayReport(store, { from: at(10), to: at(45), now: at(END) });
    // A: c2 to 12, c4 11-35, c6 25-45 -> busy all of 10-45 = 35 min
    // B: c2 12-18, c5 14-24, c1 20-25 and 30-45 (c1 opened before from), c7 41-45 -> 12-25 + 30-45 = 28 min
    // C: c6 16-19, c2 22-34 -> 15 min
    expect(report.byAgent.map((a) => [a.key, a.conversations, a.atOrOverCapacitySeconds])).toEqual([
      [A, 2, 2100], // held c4, c6
      [B, 2, 1680], // held c5, c7
      [C, 1, 900], // held c6
    ]);
  });

  it('from alone, to alone', async () => {
    const fromDay2 = await replayReport(store, { from: at(30), now: at(END) });
    expect(fromDay2.conversations.map((r) => r.conversationId)).toEqual(['c7', 'c8', 'c9']);
    expect(fromDay2.asOf).toBe(at(END));
    const toDay2 = await replayReport(store, { to: at(30), now: at(END) });
    expect(toDay2.conversations.map((r) => r.conversationId)).toEqual(['c1', 'c3', 'c2', 'c4', 'c5', 'c6']);
    // c1 still in wrap-up at 30? No: at 30 B revives it (event at 30 is ignored: to is exclusive), so waiting 25-30
    expect(toDay2.conversations[0]).toMatchObject({ status: 'waiting', closed: false, lifetimeSeconds: 1800, waitingSeconds: 600 });
  });

  it('never measures past now: a to in the future closes the books at now', async () => {
    const report = await replayReport(store, { to: at(24 * 60), now: at(END) });
    expect(report.asOf).toBe(at(END));
    expect(report.to).toBe(at(24 * 60));
    expect(report.conversations).toHaveLength(9);
  });

  it('an event exactly at to is left out, a conversation opened exactly at to too', () => {
    const builder = new ReportBuilder({ to: at(50) });
    builder.applyAll(syntheticHistory().events);
    const report = builder.finish(at(END));
    expect(report.conversations.map((r) => r.conversationId)).not.toContain('c8'); // opened at 50
    expect(report.conversations.find((r) => r.conversationId === 'c7')).toMatchObject({ closed: false, status: 'active' }); // resolved at 50
  });

  it('rejects from not before to, naming both, before reading anything', async () => {
    const closed = new InMemoryEventStore();
    await closed.close();
    await expect(replayReport(closed, { from: at(45), to: at(10), now: at(END) })).rejects.toThrow(RangeError);
    await expect(replayReport(closed, { from: at(45), to: at(10), now: at(END) })).rejects.toThrow(
      `from (${at(45)}) must be before to (${at(10)})`,
    );
    await expect(replayReport(closed, { from: at(10), to: at(10), now: at(END) })).rejects.toThrow(/from .* must be before to/);
    expect(() => new ReportBuilder({ from: at(45), to: at(10) })).toThrow(RangeError);
  });

  it('rejects times that are not ISO-8601, a bad capacity or batch size', async () => {
    await expect(replayReport(store, { from: 'last tuesday', now: at(END) })).rejects.toThrow(/from is not an ISO-8601 time/);
    await expect(replayReport(store, { to: 'soon', now: at(END) })).rejects.toThrow(/to is not an ISO-8601 time/);
    await expect(replayReport(store, { now: '' })).rejects.toThrow(/now is not an ISO-8601 time/);
    await expect(replayReport(store, { now: at(END), agentCapacity: -1 })).rejects.toThrow(/agentCapacity/);
    await expect(replayReport(store, { now: at(END), batchSize: 0 })).rejects.toThrow(/batchSize/);
  });

  it('an empty log gives an empty report', async () => {
    const progress: number[][] = [];
    const report = await replayReport(new InMemoryEventStore(), { now: at(END), onProgress: (d, t) => progress.push([d, t]) });
    expect(report.conversations).toEqual([]);
    expect(report.totals).toMatchObject({ key: 'all', conversations: 0, abandonmentRate: null, waitMeanSeconds: null });
    expect(report.byAgent).toEqual([]);
    expect(progress).toEqual([[0, 0]]);
  });
});
