/** How one request in a batch ended, decided inside the batch's transaction. */
export type RequestOutcome<Result> = { ok: true; value: Result } | { ok: false; error: unknown };

/**
 * Commits every request in the batch in one transaction and returns one outcome per request,
 * in order. Throws when the batch as a whole could not be committed.
 */
export type CommitBatch<Request, Result> = (requests: Request[]) => RequestOutcome<Result>[];

interface Pending<Request, Result> {
  request: Request;
  resolve(value: Result): void;
  reject(error: unknown): void;
}

/**
 * Group commit: requests made during one turn of the event loop share one transaction, so
 * they share one fsync. That is what makes durable appends cheap; each caller still waits
 * for the commit that contains its request, and learns its own outcome.
 */
export class GroupCommit<Request, Result> {
  private queue: Pending<Request, Result>[] = [];
  private scheduled?: NodeJS.Immediate;

  constructor(
    private readonly commitBatch: CommitBatch<Request, Result>,
    /** Turns a whole-batch failure into the error each of its callers receives. */
    private readonly batchFailure: (cause: unknown) => Error,
  ) {}

  submit(request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      // setImmediate, not a microtask: it runs after every request the current turn produces.
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commits whatever is queued right now instead of on the next turn (used when closing). */
  flush(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;

    let outcomes: RequestOutcome<Result>[];
    try {
      outcomes = this.commitBatch(batch.map((pending) => pending.request));
    } catch (cause) {
      const error = this.batchFailure(cause);
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, index) => {
      const outcome = outcomes[index];
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  }
}
