import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Helmet's security headers (CSP, HSTS, nosniff, frame and referrer policies...) on every
 * answer. Helmet computes its header values when it is built, so it is built once here;
 * @fastify/helmet built it again for every request, which cost more than some routes' work.
 */
export const addSecurityHeaders = (instance: FastifyInstance, options: HelmetOptions): void => {
  const setHeaders = helmet(options);
  instance.addHook('onRequest', (request, reply, done) => {
    setHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  });
};
