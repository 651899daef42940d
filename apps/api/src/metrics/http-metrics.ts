import type { FastifyInstance } from 'fastify';
import type { ServiceMetrics } from './service-metrics';

/** Every answer's duration, by method, route pattern (not the path: no ids) and status. */
export const measureEveryAnswer = (instance: FastifyInstance, metrics: ServiceMetrics): void => {
  instance.addHook('onResponse', async (request, reply) => {
    metrics.httpAnswered(request.method, request.routeOptions.url ?? '(no route)', reply.statusCode, reply.elapsedTime / 1000);
  });
};
