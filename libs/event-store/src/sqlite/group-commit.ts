/** How one request in a batch ended, decided inside the batch's transaction. */
export type RequestOutcome<Result> = { ok: true; value: Result } | { ok: false; error: unknown };

/**
 * Commits every request in the batch in one transaction and returns one outcome per request,
 * in order, there and then or once the batch is on disk. Throws (or rejects) when the batch as
 * a whole could not be committed.
 */
export type CommitBatch<Request, Result> = (requests: Request[]) => RequestOutcome<Result>[] | Promise<RequestOutcome<Result>[]>;

interface Pending<Request, Result> {
  request: Request;
  resolve(value: Result): void;
  reject(error: unknown): void;
}

/**
 * Group commit: requests made during one turn of the event loop share one transaction, so
 * they share one fsync. That is what makes durable appends cheap; each caller still waits
 * for the commit that contains its request, and learns its own outcome. When the commit
 * happens elsewhere (a writer thread), one batch is out at a time: requests made meanwhile
 * form the next batch, so batches grow with the load instead of queueing behind each other.
 */
export class GroupCommit<Request, Result> {
  private queue: Pending<Request, Result>[] = [];
  private scheduled?: NodeJS.Immediate;
  private committing?: Promise<void>;

  constructor(
    private readonly commitBatch: CommitBatch<Request, Result>,
    /** Turns a whole-batch failure into the error each of its callers receives. */
    private readonly batchFailure: (cause: unknown) => Error,
  ) {}

  submit(request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      // setImmediate, not a microtask: it runs after every request the current turn produces.
      if (!this.committing) this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commits whatever is queued right now instead of on the next turn, or right after the batch that is out. */
  flush(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.committing || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];

    let committed: RequestOutcome<Result>[] | Promise<RequestOutcome<Result>[]>;
    try {
      committed = this.commitBatch(batch.map((pending) => pending.request));
    } catch (cause) {
      this.fail(batch, cause);
      return;
    }
    if (Array.isArray(committed)) {
      this.settle(batch, committed);
      return;
    }
    this.committing = committed
      .then(
        (outcomes) => this.settle(batch, outcomes),
        (cause: unknown) => this.fail(batch, cause),
      )
      .finally(() => {
        this.committing = undefined;
        this.flush();
      });
  }

  /** Resolves once every request submitted so far has its outcome. */
  async settled(): Promise<void> {
    this.flush();
    while (this.committing) {
      await this.committing;
      this.flush();
    }
  }

  private settle(batch: Pending<Request, Result>[], outcomes: RequestOutcome<Result>[]): void {
    batch.forEach((pending, index) => {
      const outcome = outcomes[index];
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  }

  private fail(batch: Pending<Request, Result>[], cause: unknown): void {
    const error = this.batchFailure(cause);
    for (const pending of batch) pending.reject(error);
  }
}
