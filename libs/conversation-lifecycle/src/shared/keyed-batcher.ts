import type { KeyedSerializer } from './keyed-serializer';

/** How one item of a batch ended. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Waiting<T, R> {
  item: T;
  resolve(value: R): void;
  reject(error: unknown): void;
}

/**
 * Items for one key that arrive while that key is busy are handled together, as one batch, once
 * it is free: under load a hot key does one round of work for many items instead of one each.
 * Batches run through the serializer, in turn with the key's other tasks. An item joins the batch
 * already waiting for its key, so it may run before a task given to the serializer directly
 * after that batch was scheduled (the command loop never mixes both kinds on one stream: agent
 * and queue commands are all batched, conversation commands never).
 */
export class KeyedBatcher<T, R> {
  /** Per key, the items waiting for the batch already scheduled behind the key's current task. */
  private readonly waiting = new Map<string, Waiting<T, R>[]>();

  constructor(
    private readonly serializer: KeyedSerializer,
    private readonly maxBatch: number,
    /** One outcome per item, in order; throwing fails every item of the batch. */
    private readonly runBatch: (key: string, items: T[]) => Promise<Settled<R>[]>,
  ) {}

  submit(key: string, item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const queued = this.waiting.get(key);
      if (queued) {
        queued.push({ item, resolve, reject });
        return;
      }
      this.waiting.set(key, [{ item, resolve, reject }]);
      this.schedule(key);
    });
  }

  private schedule(key: string): void {
    void this.serializer.run(key, async () => {
      const queued = this.waiting.get(key) ?? [];
      const batch = queued.splice(0, this.maxBatch);
      // Items beyond the cap wait for the next batch, which new arrivals then join.
      if (queued.length === 0) this.waiting.delete(key);
      else this.schedule(key);
      await this.settle(key, batch);
    });
  }

  private async settle(key: string, batch: Waiting<T, R>[]): Promise<void> {
    let outcomes: Settled<R>[];
    try {
      outcomes = await this.runBatch(
        key,
        batch.map((waiting) => waiting.item),
      );
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    batch.forEach((waiting, index) => {
      const outcome = outcomes[index];
      if (outcome.ok) waiting.resolve(outcome.value);
      else waiting.reject(outcome.error);
    });
  }
}
