import { applyDecorators, type Type } from '@nestjs/common';
import { ApiHeader, ApiResponse, getSchemaPath, type HeaderObject, type OpenAPIObject, type SchemaObject } from '@nestjs/swagger';
import type { AgentErrorCode, ConversationErrorCode, InvalidCommandCode } from '@lib/domain';

/**
 * How the OpenAPI document states each route's answers: its success (body and headers) and
 * every refusal it can answer with, by status, each naming the codes it may carry. Every error
 * body has the shape of ErrorBody (http-error.filter.ts); every answer carries X-Request-Id.
 */

/** The refusals a route can answer with: status, and the codes an answer of that status may carry. */
export type ErrorCodes = Partial<Record<number, readonly string[]>>;

const header = (description: string, required = true, schema: SchemaObject = { type: 'string' }): HeaderObject => ({
  description,
  required,
  schema,
});

/** The response headers this API sets, named once. */
export const HEADERS = {
  'X-Request-Id': header("The request's id (the caller's X-Request-Id when acceptable, otherwise generated); on every answer"),
  ETag: header('The conversation\'s revision, for If-Match: `"3"`'),
  Location: header('Where the created resource is read'),
  'Idempotent-Replayed': header(
    '`true` when this answer repeats an earlier command with the same Idempotency-Key: nothing was written',
    false,
    { type: 'string', enum: ['true'] },
  ),
  'Retry-After': header('Seconds to wait before retrying', true, { type: 'string', pattern: '^\\d+$' }),
  'WWW-Authenticate': header('`Bearer`, or `Bearer error="invalid_token"`'),
} satisfies Record<string, HeaderObject>;

type HeaderName = keyof typeof HEADERS;
/** A header the answer carries; `Name?` when it carries it only sometimes. */
type AnswerHeader = HeaderName | `${HeaderName}?`;

const headersOf = (names: readonly AnswerHeader[]) =>
  Object.fromEntries(
    ['X-Request-Id' as const, ...names].map((name) => {
      const optional = name.endsWith('?');
      const documented = HEADERS[name.replace(/\?$/, '') as HeaderName];
      return [name.replace(/\?$/, ''), optional ? { ...documented, required: false } : documented];
    }),
  );

/** The schema every refusal's body has; specifics beyond these properties depend on the code. */
export const ERROR_BODY_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'The body of every refusal: a stable code to branch on, a sentence to show, and specifics that depend on the code',
  required: ['statusCode', 'code', 'message'],
  properties: {
    statusCode: { type: 'integer', description: 'The HTTP status, repeated' },
    code: {
      type: 'string',
      description: 'Stable code, such as CONVERSATION.TRANSITION_NOT_ALLOWED; each response lists the codes it can carry',
      example: 'REQUEST.INVALID_FIELD',
    },
    message: { type: 'string', description: 'What went wrong and what would make it pass' },
    field: { type: 'string', description: 'The body field, query parameter, header or path parameter at fault' },
    errors: {
      type: 'array',
      description: 'REQUEST.INVALID_FIELD: every field at fault and what it must look like',
      items: {
        type: 'object',
        required: ['field', 'messages'],
        properties: { field: { type: 'string' }, messages: { type: 'array', items: { type: 'string' } } },
      },
    },
    conversationId: { type: 'string' },
    status: { type: 'string', description: 'Conversation refusals: where the conversation stands (`none` when it does not exist)' },
    allowedActions: { type: 'array', items: { type: 'string' }, description: 'Conversation refusals: what may be done now' },
    agentId: { type: 'string' },
    queueId: { type: 'string' },
    retryAfterSeconds: { type: 'integer', description: '429: the seconds in Retry-After' },
  },
  additionalProperties: true,
};

/** Adds ERROR_BODY_SCHEMA to the document's components, where the error responses refer to it. */
export const withErrorBody = (document: OpenAPIObject): OpenAPIObject => {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ErrorBody: ERROR_BODY_SCHEMA } };
  return document;
};

/** Each status's codes together, in first-mentioned order. */
const merged = (groups: readonly ErrorCodes[]): Map<number, string[]> => {
  const byStatus = new Map<number, string[]>();
  for (const group of groups) {
    for (const [status, codes] of Object.entries(group)) {
      const known = byStatus.get(Number(status)) ?? [];
      byStatus.set(Number(status), [...known, ...(codes ?? []).filter((code) => !known.includes(code))]);
    }
  }
  return new Map([...byStatus].sort(([a], [b]) => a - b));
};

const ERROR_HEADERS: Partial<Record<number, HeaderName[]>> = { 401: ['WWW-Authenticate'], 429: ['Retry-After'], 503: ['Retry-After'] };

/** Every refusal of a route, one response per status: ErrorBody with that status and exactly its codes. */
export const ApiErrors = (...groups: ErrorCodes[]) =>
  applyDecorators(
    ...[...merged(groups)].map(([status, codes]) =>
      ApiResponse({
        status,
        description: `Refused: ${codes.map((code) => `\`${code}\``).join(', ')}`,
        headers: headersOf(ERROR_HEADERS[status] ?? []),
        // Stated as JSON whatever the route's @ApiProduces says of its success.
        content: {
          'application/json': {
            schema: {
              allOf: [
                { $ref: getSchemaPath('ErrorBody') },
                { type: 'object', properties: { statusCode: { type: 'integer', enum: [status] }, code: { type: 'string', enum: codes } } },
              ],
            },
          },
        },
      }),
    ),
  );

/** An answer without a body (204). */
export const ApiEmptyAnswer = (status: 204, description: string) => ApiResponse({ status, description, headers: headersOf([]) });

/** An answer with a body of the route's own (its success, or health's 503): status, body and headers (X-Request-Id is always added). */
export const ApiAnswer = (status: 200 | 201 | 503, type: Type<unknown>, description: string, headers: readonly AnswerHeader[] = []) =>
  ApiResponse({ status, type, description, headers: headersOf(headers) });

/** A success in another media type than JSON (the Prometheus text of /metrics). */
export const ApiTextAnswer = (status: 200, mediaType: string, description: string) =>
  ApiResponse({ status, description, headers: headersOf([]), content: { [mediaType]: { schema: { type: 'string' } } } });

// ---- The refusals, by what the route does ----

/** Any route: a form-encoded request (whatever the method) is refused, and an unexpected error is logged and answered 500. */
export const ANY_ROUTE: ErrorCodes = { 415: ['REQUEST.UNSUPPORTED_MEDIA_TYPE'], 500: ['INTERNAL'] };

/** Routes behind the AuthGuard (@Allow): no or bad token, a role or relation missing, too many requests, identity provider down. */
export const AUTHENTICATED: ErrorCodes = {
  401: ['AUTH.MISSING_CREDENTIALS', 'AUTH.INVALID_TOKEN'],
  403: ['AUTH.FORBIDDEN'],
  429: ['AUTH.TOO_MANY_REQUESTS'],
  503: ['AUTH.PROVIDER_UNAVAILABLE'],
};

/** A path `{id}`, a query or a header checked against its rule; a URL that is not valid percent-encoding. */
export const CHECKED_INPUT: ErrorCodes = { 400: ['REQUEST.INVALID_FIELD', 'REQUEST.MALFORMED'] };

/** Routes that take a JSON body: malformed, invalid, cut short, too large, or in another media type. */
export const JSON_BODY: ErrorCodes = {
  400: ['REQUEST.INVALID_FIELD', 'REQUEST.MALFORMED', 'REQUEST.ABORTED'],
  413: ['REQUEST.BODY_TOO_LARGE'],
  415: ['REQUEST.UNSUPPORTED_MEDIA_TYPE'],
};

/** Routes that read or write the event log. */
export const EVENT_LOG: ErrorCodes = { 503: ['EVENT_STORE.UNAVAILABLE'] };

/** Views read with `minPosition` (read your writes): beyond the log's head (400), or not reached in time (503). */
export const READ_YOUR_WRITES: ErrorCodes = { 400: ['REQUEST.INVALID_FIELD'], 503: ['READ_MODEL.BEHIND'] };

const CONVERSATION_REFUSALS = {
  'CONVERSATION.NOT_FOUND': 404,
  'CONVERSATION.ALREADY_EXISTS': 409,
  'CONVERSATION.TRANSITION_NOT_ALLOWED': 409,
  'CONVERSATION.NOT_HELD_BY_AGENT': 409,
  'CONVERSATION.INVALID_TRANSFER': 409,
  'CONVERSATION.CONSULT_CONFLICT': 409,
  // Only the service's own timer commands are refused as not due; no HTTP command sends one.
  'CONVERSATION.TIMER_NOT_DUE': undefined,
} satisfies Record<ConversationErrorCode, number | undefined>;

/** Commands that reserve or give back an agent's capacity (any conversation command may). */
const AGENT_REFUSALS = {
  'AGENT.NOT_FOUND': 404,
  'AGENT.NOT_IN_QUEUE': 409,
  'AGENT.PRESENCE_DOES_NOT_ALLOW_WORK': 409,
  'AGENT.NO_FREE_CAPACITY': 409,
  'AGENT.ASSIGNMENT_IN_PROGRESS': 409,
} satisfies Record<AgentErrorCode, number>;

const byStatus = (refusals: Record<string, number | undefined>): ErrorCodes => {
  const codes: Record<number, string[]> = {};
  for (const [code, status] of Object.entries(refusals)) if (status !== undefined) (codes[status] ??= []).push(code);
  return codes;
};

const invalidCommand = (code: InvalidCommandCode): ErrorCodes => ({ 400: [code] });

/** Conversation commands: the conversation's and the agent's refusals, a moved revision, a reused key, lost races. */
export const CONVERSATION_COMMAND: ErrorCodes[] = [
  byStatus(CONVERSATION_REFUSALS),
  byStatus(AGENT_REFUSALS),
  invalidCommand('CONVERSATION.INVALID_COMMAND'),
  {
    404: ['QUEUE.NOT_FOUND'],
    409: ['CONVERSATION.CONCURRENT_UPDATE', 'AGENT.CONCURRENT_UPDATE'],
    412: ['CONVERSATION.REVISION_MISMATCH'],
    422: ['REQUEST.IDEMPOTENCY_KEY_REUSED'],
  },
];

/** Agent commands (registration, presence). */
export const AGENT_COMMAND: ErrorCodes[] = [
  invalidCommand('AGENT.INVALID_COMMAND'),
  { 404: ['AGENT.NOT_FOUND'], 409: ['AGENT.CONCURRENT_UPDATE'] },
];

/** Defining a queue. */
export const QUEUE_COMMAND: ErrorCodes[] = [invalidCommand('QUEUE.INVALID_COMMAND'), { 409: ['QUEUE.CONCURRENT_UPDATE'] }];

/** The headers a conversation command reads. */
export const ApiCommandHeaders = () =>
  applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'Repeat a command safely: the same key answers the same result (1-128 visible ASCII characters)',
    }),
    ApiHeader({ name: 'If-Match', required: false, description: 'Pin the revision (ETag) you last saw; 412 if it moved' }),
  );

/** Routes on one webhook subscription. */
export const WEBHOOK: ErrorCodes = { 404: ['WEBHOOK.NOT_FOUND'] };

/** Creating or changing a subscription: its URL and filter are checked. */
export const WEBHOOK_DEFINITION: ErrorCodes = {
  400: ['WEBHOOK.INVALID_URL', 'FEED.INVALID_FILTER'],
  422: ['WEBHOOK.ADDRESS_NOT_ALLOWED'],
};
