import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** What a caller's request id may look like: a token, not a place to smuggle text into logs. */
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * The request's id: the caller's X-Request-Id when it is an acceptable token (so a trace that
 * began upstream continues here), otherwise a new UUID. It is echoed in the answer, written on
 * every log line of the request, and recorded as the correlation id of the events it writes.
 */
export const requestIdOf = (request: IncomingMessage): string => {
  // Asked once by Fastify and once by the logger's middleware: both must get the same id.
  const remembered = request as IncomingMessage & { [REQUEST_ID]?: string };
  if (remembered[REQUEST_ID] === undefined) {
    const given = request.headers[REQUEST_ID_HEADER.toLowerCase()];
    remembered[REQUEST_ID] = typeof given === 'string' && ACCEPTABLE_REQUEST_ID.test(given) ? given : randomUUID();
  }
  return remembered[REQUEST_ID];
};

const REQUEST_ID = Symbol('requestId');

/** The current request's id, for the causation of what it writes: `@RequestId() requestId: string`. */
export const RequestId = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  return context.switchToHttp().getRequest<{ id: string }>().id;
});

/** Events a request writes belong to it; without a command id of their own, it is also their cause. */
export const causedByRequest = (requestId: string) => ({ correlationId: requestId, causationId: requestId });
