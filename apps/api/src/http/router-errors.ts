import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody } from './http-error.filter';

/** Longer path segments than any id are refused by the id's own rule (400 naming the field), not by the router. */
export const MAX_PATH_PARAMETER_LENGTH = 1000;

/**
 * Errors Fastify's router raises before any route runs (a path that is not valid
 * percent-encoding, a path segment beyond MAX_PATH_PARAMETER_LENGTH): answered in the same
 * shape and codes as every other refusal instead of Fastify's own.
 */
export const answerRouterError = (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void => {
  const body: ErrorBody =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? {
          statusCode: 400,
          code: 'REQUEST.INVALID_FIELD',
          message: `A path segment is longer than ${MAX_PATH_PARAMETER_LENGTH} characters; ids are 1-64`,
          field: 'id',
        }
      : { statusCode: 400, code: 'REQUEST.MALFORMED', message: 'The URL is not valid percent-encoding; encode the path as UTF-8' };
  void reply.status(body.statusCode).type('application/json; charset=utf-8').send(body);
};
