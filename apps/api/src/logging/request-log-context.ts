import type { FastifyInstance } from 'fastify';
import { Store, storage } from 'nestjs-pino/storage';
import type { Logger } from 'pino';

/**
 * What is logged while a request is handled (Nest's lines, an error's stack) carries its
 * request id. nestjs-pino finds the logger of the current request in its async store; pino-http,
 * which it would run as middleware on every request, builds a child logger for each one up front.
 * Here the child is built only when a line is written, which is rare: most requests log nothing
 * but their access line (logEveryAnswer).
 */
export const bindLogsToRequests = (instance: FastifyInstance, root: Logger): void => {
  instance.addHook('onRequest', (request, _reply, done) => {
    let child: Logger | undefined;
    const store = new Store(root);
    // Read-only: nestjs-pino's PinoLogger.assign, which would replace it, is not used here.
    Object.defineProperty(store, 'logger', { get: () => (child ??= root.child({ requestId: request.id })) });
    // Everything Fastify runs for this request from here on (its hooks, body parsing, the route) runs inside the store.
    storage.run(store, done);
  });
};
