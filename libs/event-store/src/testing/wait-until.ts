/**
 * Waits for asynchronous delivery without betting on how long it takes: polls the condition
 * and only fails after a bound far above any healthy delay.
 */
export async function waitUntil(
  condition: () => boolean,
  { timeoutMs = 5000, intervalMs = 5, description = 'condition' }: { timeoutMs?: number; intervalMs?: number; description?: string } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Lets already-scheduled callbacks (timers, immediates, I/O) run, to show that something did NOT happen. */
export function settle(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
