import type { ReconcilePassResult } from '../capacity/capacity-reconciler';
import type { RoutingPassResult } from '../routing/push-router';
import type { TimerPassResult } from '../timers/timer-scheduler';

export const LIFECYCLE_OBSERVER = Symbol('LIFECYCLE_OBSERVER');

export type CommandFamily = 'conversation' | 'agent' | 'queue';

/**
 * What the lifecycle reports as it works, for metrics. It names kinds and outcomes only, never
 * a conversation, customer or agent id.
 */
export interface LifecycleObserver {
  /** `outcome`: `applied`, `repeated` (same command id), `unchanged`, or the refusal's stable code. */
  commandHandled(family: CommandFamily, commandType: string, outcome: string): void;
  timerPass(result: TimerPassResult): void;
  routingPass(result: RoutingPassResult): void;
  reconcilerPass(result: ReconcilePassResult): void;
}

export const UNOBSERVED: LifecycleObserver = {
  commandHandled: () => undefined,
  timerPass: () => undefined,
  routingPass: () => undefined,
  reconcilerPass: () => undefined,
};

/** The stable code of a refusal or failure, for counting; `error` for one without. */
export const outcomeOfError = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z_]+(\.[A-Z_]+)*$/.test(code) ? code : 'error';
};

/** Runs a command and reports its outcome. */
export const observed = async <T>(
  observer: LifecycleObserver,
  family: CommandFamily,
  commandType: string,
  run: () => Promise<T>,
  outcomeOf: (result: T) => string,
): Promise<T> => {
  try {
    const result = await run();
    observer.commandHandled(family, commandType, outcomeOf(result));
    return result;
  } catch (error) {
    observer.commandHandled(family, commandType, outcomeOfError(error));
    throw error;
  }
};
