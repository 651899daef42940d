import { TimerScheduler, type TimerPassResult } from '@lib/conversation-lifecycle';
import type { ProjectorHost } from '@lib/read-models';
import { PROJECTOR } from '../../apps/api/src/infrastructure/read-models.module';
import type { TestApp } from './start-app';

/** One line of GET /api/conversations/:id/history. */
export interface HistoryLine {
  type: string;
  at: string;
  actor: { kind: string; id: string };
  reason: string;
  details: Record<string, unknown>;
}

/**
 * Runs one timer pass as of the app's clock, once the timer projection has every event up to
 * `position` (the last command's), so "nothing fired" means "nothing was due", not "not seen yet".
 */
export const fireDueTimers = async (t: TestApp, position: number, options: { sweep?: boolean } = {}): Promise<TimerPassResult> => {
  await viewsAt(t, position);
  return t.app.get(TimerScheduler).runOnce(options);
};

/** Waits until this app's views (the timer projection among them) include `position`. */
export const viewsAt = async (t: TestApp, position: number): Promise<void> => {
  const projector = t.app.get<ProjectorHost>(PROJECTOR);
  if (!(await projector.waitForPosition(position, 10_000))) throw new Error(`the views did not reach position ${position}`);
};

export const statusOf = async (t: TestApp, id: string): Promise<string> => {
  const answer = await t.get<{ status: string }>(`/api/conversations/${id}`);
  if (answer.statusCode !== 200) throw new Error(`GET ${id} answered ${answer.statusCode}: ${answer.text}`);
  return answer.body.status;
};

export const historyOf = async (t: TestApp, id: string): Promise<HistoryLine[]> => {
  const answer = await t.get<{ events: HistoryLine[] }>(`/api/conversations/${id}/history`);
  if (answer.statusCode !== 200) throw new Error(`GET ${id}/history answered ${answer.statusCode}: ${answer.text}`);
  return answer.body.events;
};
