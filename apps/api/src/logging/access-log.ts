import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Principal } from '@lib/platform';

/**
 * One line per answered request: method, route pattern (never the path: ids stay out of the
 * access log's cardinality), status, duration, request id, and who called once authenticated.
 * No header, query or body is written.
 */
export const logEveryAnswer = (instance: FastifyInstance, logger: Logger): void => {
  instance.addHook('onResponse', async (request, reply) => {
    const principal = (request as { principal?: Principal }).principal;
    logger.info(
      {
        requestId: request.id,
        method: request.method,
        route: request.routeOptions.url ?? '(no route)',
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        ...(principal ? { principal: principal.id } : {}),
      },
      'request completed',
    );
  });
};
