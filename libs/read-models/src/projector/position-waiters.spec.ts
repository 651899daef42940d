import type { ProjectionStatus } from '../read-models.types';
import { PositionWaiters } from './position-waiters';

const ok = (name: string, position: number): ProjectionStatus => ({ name, position, healthy: true });
const stopped = (name: string, position: number, transient = false): ProjectionStatus => ({
  name,
  position,
  healthy: false,
  failure: { position: position + 1, eventType: 'X', message: 'cannot apply', transient },
});

describe('PositionWaiters', () => {
  let statuses: ProjectionStatus[];
  const waiters = () => new PositionWaiters(() => statuses);

  it('resolves once every view reaches the position', async () => {
    statuses = [ok('a', 3), ok('b', 4)];
    const w = waiters();
    const waiting = w.wait(5, 5000);
    statuses = [ok('a', 5), ok('b', 4)];
    w.notify();
    statuses = [ok('a', 6), ok('b', 5)];
    w.notify();
    await expect(waiting).resolves.toBe(true);
  });

  it('answers false at once for a view stopped short of the position, true for one stopped past it', async () => {
    statuses = [ok('a', 9), stopped('b', 4)];
    await expect(waiters().wait(5, 5000)).resolves.toBe(false);
    await expect(waiters().wait(4, 5000)).resolves.toBe(true);
  });

  it('keeps waiting through a transient failure, and gives up at the timeout', async () => {
    statuses = [ok('a', 9), stopped('b', 4, true)];
    await expect(waiters().wait(5, 30)).resolves.toBe(false);
  });

  it('never answers true before any status was reported', async () => {
    statuses = [];
    await expect(waiters().wait(0, 30)).resolves.toBe(false);
  });
});
