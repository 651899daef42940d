/**
 * A one-line progress bar on a terminal (redrawn in place), or a line every few seconds when
 * the output is a file or a pipe, so logs stay readable.
 */
export class ProgressBar {
  private readonly startedAt = performance.now();
  private lastPrintedAt = 0;

  constructor(
    private readonly label: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, total: number): void {
    const now = performance.now();
    const interactive = this.out.isTTY === true;
    if (!interactive && now - this.lastPrintedAt < 2000 && done < total) return;
    if (interactive && now - this.lastPrintedAt < 50 && done < total) return;
    this.lastPrintedAt = now;
    const fraction = total > 0 ? Math.min(done / total, 1) : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(1)}% ${done}/${total}`;
    this.out.write(interactive ? `\r${line}` : `${line}\n`);
  }

  finish(): number {
    if (this.out.isTTY === true) this.out.write('\n');
    return (performance.now() - this.startedAt) / 1000;
  }
}
