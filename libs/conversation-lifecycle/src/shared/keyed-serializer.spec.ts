import { KeyedSerializer } from './keyed-serializer';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('KeyedSerializer', () => {
  it('runs tasks with the same key one at a time, in order', async () => {
    const serializer = new KeyedSerializer();
    const log: string[] = [];
    const gate = deferred();
    const first = serializer.run('a', async () => {
      log.push('first start');
      await gate.promise;
      log.push('first end');
    });
    const second = serializer.run('a', async () => {
      log.push('second');
    });
    await Promise.resolve();
    expect(log).toEqual(['first start']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(log).toEqual(['first start', 'first end', 'second']);
  });

  it('lets tasks with different keys run at the same time', async () => {
    const serializer = new KeyedSerializer();
    const gate = deferred();
    const log: string[] = [];
    const blocked = serializer.run('a', async () => {
      await gate.promise;
      log.push('a');
    });
    await serializer.run('b', async () => {
      log.push('b');
    });
    expect(log).toEqual(['b']);
    gate.resolve();
    await blocked;
    expect(log).toEqual(['b', 'a']);
  });

  it('goes on after a failed task, passes its error to its caller, and forgets idle keys', async () => {
    const serializer = new KeyedSerializer();
    const failing = serializer.run('a', async () => {
      throw new Error('boom');
    });
    const next = serializer.run('a', async () => 'ran');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
    await new Promise((resolve) => setImmediate(resolve));
    expect(serializer.size).toBe(0);
  });
});
