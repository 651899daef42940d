import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';

/** What createApp takes about the desk (the browser app of apps/desk). */
export interface DeskOptions {
  /**
   * The built desk (index.html and its assets, scripts/build-desk.mjs): served at `/`. Absent:
   * dist/desk when the service runs compiled (`npm start`, the container), nothing when it runs
   * from its TypeScript sources (tests); false: never.
   */
  deskDir?: string | false;
}

/** dist/desk when this file runs compiled as dist/apps/api/src/desk/desk.js; undefined from the sources. */
export const builtDeskDir = (here: string = __dirname): string | undefined => {
  const dist = resolve(here, '..', '..', '..', '..');
  return basename(dist) === 'dist' ? join(dist, 'desk') : undefined;
};

/**
 * Serves the desk's files at `/` (same origin as /api, so no CORS and the same CSP). One route
 * per built file (no wildcard): every other path, /api ones included, keeps the API's JSON 404.
 * index.html is revalidated on every load; the other files carry a content hash in their names
 * and are cached for good. Answers whether the desk is served.
 */
export const serveDesk = async (app: NestFastifyApplication, options: DeskOptions): Promise<boolean> => {
  const deskDir = options.deskDir === undefined ? builtDeskDir() : options.deskDir;
  if (deskDir === false || deskDir === undefined) return false;
  if (!existsSync(join(deskDir, 'index.html'))) {
    new Logger('Desk').warn(`The desk is not built (no index.html in ${deskDir}): npm run build builds it; / answers 404 until then`);
    return false;
  }
  await app.register(fastifyStatic as never, {
    root: deskDir,
    prefix: '/',
    wildcard: false,
    // Swagger's page registers @fastify/static too: one reply decorator is enough.
    decorateReply: false,
    index: ['index.html'],
    dotfiles: 'ignore',
    cacheControl: false,
    setHeaders: (reply: FastifyReply, path: string) => {
      void reply.header('cache-control', basename(path) === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
  });
  return true;
};
