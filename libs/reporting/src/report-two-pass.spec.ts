import { InMemoryEventStore, type RecordedEvent } from '@lib/event-store';
import fc from 'fast-check';
import { ReportBuilder } from './report-builder';
import { replayInto, replayReport } from './replay-report';
import type { Report, ReportOptions, ReportSnapshot } from './report.types';
import { at, START } from './testing/history';
import { playRandomSteps, randomSteps } from './testing/random-history';
import { END, syntheticHistory } from './testing/synthetic-history';

/** One pass over every event. */
const onePass = (events: readonly RecordedEvent[], options: ReportOptions, asOf: string): Report => {
  const builder = new ReportBuilder(options);
  builder.applyAll(events);
  return builder.finish(asOf);
};

/** The first `split` events, snapshot through JSON text, restore, then the rest. */
const twoPasses = (events: readonly RecordedEvent[], split: number, options: ReportOptions, asOf: string): Report => {
  const first = new ReportBuilder(options);
  first.applyAll(events.slice(0, split));
  const text = JSON.stringify(first.snapshot());
  const second = ReportBuilder.restore(JSON.parse(text) as ReportSnapshot);
  expect(second.lastPosition).toBe(split === 0 ? 0 : events[split - 1].position);
  second.applyAll(events.slice(split));
  return second.finish(asOf);
};

describe('a report replayed in two passes equals one pass', () => {
  const events = syntheticHistory().events;
  const windows: [string, ReportOptions][] = [
    ['no window', {}],
    ['capacity 2', { agentCapacity: 2 }],
    ['from 10 to 45', { from: at(10), to: at(45) }],
    ['from 30 (day 2)', { from: at(30), agentCapacity: 2 }],
  ];

  it.each(windows)('synthetic history, every split position (%s)', (_name, options) => {
    const expected = onePass(events, options, at(END));
    for (let split = 0; split <= events.length; split += 1) {
      expect(twoPasses(events, split, options, at(END))).toEqual(expected);
    }
  });

  it('random histories (decided by the domain), random windows, capacities and split positions', () => {
    fc.assert(
      fc.property(
        randomSteps(),
        fc.nat({ max: 1000 }),
        fc.option(fc.tuple(fc.nat({ max: 1000 }), fc.nat({ max: 1000 })), { nil: undefined }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat({ max: 3_600_000 }),
        (steps, splitPermille, window, agentCapacity, afterEndMs) => {
          const { writer, endMs } = playRandomSteps(steps);
          const log = writer.events;
          const startMs = Date.parse(START);
          const span = Math.max(1, endMs - startMs);
          const options: ReportOptions = { agentCapacity };
          if (window !== undefined) {
            const [a, b] = [Math.min(...window), Math.max(...window)];
            options.from = new Date(startMs + Math.floor((span * a) / 1000)).toISOString();
            if (b > a) options.to = new Date(startMs + Math.floor((span * b) / 1000) + 1).toISOString();
          }
          const asOf = new Date(endMs + afterEndMs).toISOString();
          const split = Math.round((log.length * splitPermille) / 1000);
          const expected = onePass(log, options, asOf);
          expect(twoPasses(log, split, options, asOf)).toEqual(expected);

          // Invariants of every row: its states add up to its lifetime, the agents' shares to its handle time.
          for (const row of expected.conversations) {
            const states = row.openSeconds + row.activeSeconds + row.waitingSeconds + row.wrapUpSeconds;
            expect(Math.round(states * 1000)).toBe(Math.round(row.lifetimeSeconds * 1000));
            const shares = Object.values(row.handleSecondsByAgent).reduce((sum, s) => sum + s, 0);
            expect(Math.round(shares * 1000)).toBe(Math.round((row.handleSeconds ?? 0) * 1000));
            expect(row.abandoned).toBe(row.closed && row.firstAcceptedAt === null);
          }
          // No agent is at or over capacity longer than the report's span.
          const reportSpan = (Date.parse(expected.asOf) - Math.max(startMs, options.from ? Date.parse(options.from) : startMs)) / 1000;
          for (const agent of expected.byAgent) expect(agent.atOrOverCapacitySeconds).toBeLessThanOrEqual(Math.max(0, reportSpan));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('resumes through a store: replayInto a restored builder reads only what follows its snapshot', async () => {
    const store = new InMemoryEventStore();
    const writer = syntheticHistory();
    const half = Math.floor(writer.events.length / 2);
    const firstHalf = new InMemoryEventStore();
    // The first pass sees the log as it was halfway through.
    for (const event of writer.events.slice(0, half)) {
      await firstHalf.appendToStream(event.streamName, [{ id: event.id, type: event.type, data: event.data }], { expectedRevision: 'any' });
    }
    const first = new ReportBuilder();
    await replayInto(firstHalf, first, { batchSize: 4 });
    expect(first.lastPosition).toBe(half);
    const snapshot = JSON.parse(JSON.stringify(first.snapshot())) as ReportSnapshot;

    await writer.writeTo(store);
    const second = ReportBuilder.restore(snapshot);
    const seen: number[] = [];
    await replayInto(store, second, { batchSize: 5, onProgress: (done, total) => seen.push(done, total) });
    expect(seen.at(-1)).toBe(writer.events.length - half);
    expect(second.finish(at(END))).toEqual(await replayReport(store, { now: at(END) }));
  });

  it('a restored snapshot is independent of the builder it came from', () => {
    const builder = new ReportBuilder();
    builder.applyAll(events.slice(0, 20));
    const snapshot = builder.snapshot();
    const text = JSON.stringify(snapshot);
    builder.applyAll(events.slice(20));
    expect(JSON.stringify(snapshot)).toBe(text);
  });

  it('refuses what is not a snapshot', () => {
    expect(() => ReportBuilder.restore({ version: 2 } as unknown as ReportSnapshot)).toThrow(TypeError);
  });
});
