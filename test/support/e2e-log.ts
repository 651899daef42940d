import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type DestinationStream } from 'pino';

/**
 * Where the apps of an e2e run log: one file per jest worker in E2E_LOG_DIR (CI sets a fresh
 * one and then checks that no credential was ever written; see scripts/check-e2e-logs.js).
 */
export const E2E_LOG_DIR = process.env.E2E_LOG_DIR ?? join(tmpdir(), 'conversation-work-items-e2e-logs');

let destination: DestinationStream | undefined;

export const e2eLogDestination = (): DestinationStream => {
  if (!destination) {
    mkdirSync(E2E_LOG_DIR, { recursive: true });
    destination = pino.destination({
      dest: join(E2E_LOG_DIR, `worker-${process.env.JEST_WORKER_ID ?? '0'}-${process.pid}.log`),
      sync: true,
    });
  }
  return destination;
};
