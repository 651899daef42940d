import type { ProjectionStatus, ReadModelDatabaseConfig } from '@lib/read-models';

/** What the projector thread is given at start. */
export interface ProjectorWorkerData {
  eventsFile: string;
  readModels: ReadModelDatabaseConfig;
  /** How often it looks for new events appended by other processes (this process's commits signal it). */
  pollIntervalMs: number;
  /** EVENT_CORRECTIONS_FILE: the thread reads the log corrected like every other reader. */
  eventCorrectionsFile?: string;
  /** SERVICE_LEVEL_THRESHOLD, which the live KPI projection counts with. */
  serviceLevelThresholdMs: number;
}

export type ToProjectorWorker = { type: 'prune'; id: number; now: string } | { type: 'stop' };

export type FromProjectorWorker =
  | { type: 'ready'; statuses: ProjectionStatus[] }
  | { type: 'status'; statuses: ProjectionStatus[] }
  | { type: 'pruned'; id: number; removed: number }
  | { type: 'prune-failed'; id: number; message: string }
  | { type: 'log'; level: 'log' | 'warn' | 'error'; message: string }
  | { type: 'stopped' }
  | { type: 'fatal'; message: string };
