/**
 * Whether this process has begun to stop. Set on SIGTERM before anything closes: readiness then
 * answers 503, so a load balancer stops sending requests while those in flight finish.
 */
export class Draining {
  private draining = false;

  begin(): void {
    this.draining = true;
  }

  get active(): boolean {
    return this.draining;
  }
}
