import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { drainRequestBody } from './drain-oversized-body';
import { AgentError, ConversationError, InvalidCommandError } from '@lib/domain';
import { EventStoreUnavailableError } from '@lib/event-store';
import {
  AgentConcurrencyExhaustedError,
  ConcurrencyExhaustedError,
  IdempotencyKeyReusedError,
  QueueConcurrencyExhaustedError,
  QueueNotFoundError,
  RevisionMismatchError,
} from '@lib/conversation-lifecycle';
import { WebhookError } from '@lib/event-feed';
import { AuthError } from '../auth/auth.errors';
import { EventStreamUnavailableError } from '../event-feed/event-streams';
import { ReadModelBehindError } from '../views/read-your-writes';
import { RequestValidationError } from './request-validation.error';

/** The body of every error answer: a stable code to branch on, a sentence to show, and specifics. */
export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  [detail: string]: unknown;
}

/**
 * Nest hands Fastify's own request errors (malformed JSON, body too large, wrong media type)
 * to this filter as HttpExceptions; they get stable codes like every other answer.
 */
const HTTP_CODES: Record<number, string> = {
  400: 'REQUEST.MALFORMED',
  404: 'ROUTE.NOT_FOUND',
  413: 'REQUEST.BODY_TOO_LARGE',
  415: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
};

/** Maps every error to its HTTP answer, in this one place. */
export const toErrorBody = (error: unknown): ErrorBody => {
  if (error instanceof RequestValidationError) {
    return { statusCode: 400, code: error.code, message: error.message, field: error.problems[0]?.field, errors: error.problems };
  }
  if (error instanceof AuthError) {
    return { statusCode: error.statusCode, code: error.code, message: error.message, ...error.details };
  }
  if (error instanceof InvalidCommandError) {
    // HTTP validation normally answers first; this is the domain's own line, for whatever slipped past it.
    return { statusCode: 400, code: error.code, message: error.message, field: error.field, rule: error.rule };
  }
  if (error instanceof ConversationError) {
    return {
      statusCode: error.code === 'CONVERSATION.NOT_FOUND' ? 404 : 409,
      code: error.code,
      message: error.message,
      conversationId: error.conversationId,
      status: error.status,
      allowedActions: error.allowedActions,
      ...error.details,
    };
  }
  if (error instanceof AgentError) {
    // The agent named does not exist: 404; it cannot take this work now: 409 naming the condition.
    return {
      statusCode: error.code === 'AGENT.NOT_FOUND' ? 404 : 409,
      code: error.code,
      message: error.message,
      agentId: error.agentId,
      ...error.details,
    };
  }
  if (error instanceof QueueNotFoundError) {
    return { statusCode: 404, code: error.code, message: error.message, queueId: error.queueId, field: error.field };
  }
  if (error instanceof AgentConcurrencyExhaustedError) {
    return { statusCode: 409, code: error.code, message: error.message, agentId: error.agentId };
  }
  if (error instanceof QueueConcurrencyExhaustedError) {
    return { statusCode: 409, code: error.code, message: error.message, queueId: error.queueId };
  }
  if (error instanceof RevisionMismatchError) {
    return {
      statusCode: 412,
      code: error.code,
      message: error.message,
      conversationId: error.conversationId,
      expectedRevision: error.expectedRevision,
      revision: error.actualRevision,
    };
  }
  if (error instanceof IdempotencyKeyReusedError) {
    return { statusCode: 422, code: error.code, message: error.message, conversationId: error.conversationId };
  }
  if (error instanceof ConcurrencyExhaustedError) {
    return { statusCode: 409, code: error.code, message: error.message, conversationId: error.conversationId };
  }
  if (error instanceof ReadModelBehindError) {
    return { statusCode: 503, code: error.code, message: error.message, minPosition: error.minPosition, positions: error.positions };
  }
  if (error instanceof EventStreamUnavailableError) {
    return { statusCode: 503, code: error.code, message: error.message, retryAfterSeconds: 5 };
  }
  if (error instanceof WebhookError) {
    return { statusCode: error.statusCode, code: error.code, message: error.message, ...error.details };
  }
  if (error instanceof EventStoreUnavailableError) {
    return { statusCode: 503, code: error.code, message: 'The event store is unavailable; retry shortly' };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return { statusCode: status, code: HTTP_CODES[status] ?? `HTTP.${status}`, message: error.message };
  }
  // The client went away mid-body (a timed-out trickle, a closed tab): nobody reads the answer, and it is no fault of ours.
  if (error instanceof Error && (error.message === 'aborted' || (error as NodeJS.ErrnoException).code === 'ECONNRESET')) {
    return { statusCode: 400, code: 'REQUEST.ABORTED', message: 'The request body did not arrive whole' };
  }
  return { statusCode: 500, code: 'INTERNAL', message: 'Unexpected error; it has been logged' };
};

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const body = toErrorBody(error);
    if (body.statusCode === 500) this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (body.statusCode === 503) reply.header('Retry-After', String(body.retryAfterSeconds ?? 1));
    if (body.statusCode === 401)
      reply.header('WWW-Authenticate', body.code === 'AUTH.MISSING_CREDENTIALS' ? 'Bearer' : 'Bearer error="invalid_token"');
    if (body.statusCode === 429) reply.header('Retry-After', String(body.retryAfterSeconds ?? 60));
    if (body.statusCode === 413) {
      const request = host.switchToHttp().getRequest<FastifyRequest>();
      void drainRequestBody(request.raw).then((whole) => {
        if (!whole) reply.header('Connection', 'close');
        void reply.status(413).send(body);
      });
      return;
    }
    void reply.status(body.statusCode).send(body);
  }
}
