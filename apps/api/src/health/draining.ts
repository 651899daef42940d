/**
 * Whether this process has begun to stop. Set on SIGTERM before anything closes: readiness then
 * answers 503, so a load balancer stops sending requests while those in flight finish.
 */
export class Draining {
  private since?: Date;

  begin(now: Date = new Date()): void {
    this.since ??= now;
  }

  get active(): boolean {
    return this.since !== undefined;
  }
}
