import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Checks answers against the service's own OpenAPI document: the route must be documented, the
 * status documented for it, the headers it documents as required present, and the body valid
 * against the documented schema. The e2e harness runs every answer through it, so a suite fails
 * when the service and its document drift apart.
 *
 * Object schemas of the document's components that do not say whether they allow other
 * properties are checked closed: an answer carries only properties its document names (the
 * error body says `additionalProperties: true` for its specifics, and so does any free-form map).
 */

type Schema = Record<string, unknown>;

interface Response {
  headers?: Record<string, { required?: boolean }>;
  content?: Record<string, { schema?: Schema }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, { responses?: Record<string, Response>; security?: unknown[] }>>;
  components?: { schemas?: Record<string, Schema> };
}

/** The answer as the harness has it. */
export interface CheckedAnswer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  text: string;
}

/** The document describes itself only implicitly: its own routes are not checked. */
const DOCS_ROUTE = /^\/api\/docs(-json|-yaml)?(\/|$)/;
const DOCUMENT_ID = 'openapi';
const BODY_SHOWN = 2000;

const isObject = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A copy with every local `$ref` pointing into the document added to ajv under DOCUMENT_ID. */
const intoDocument = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(intoDocument);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === '$ref' && typeof item === 'string' && item.startsWith('#/') ? `${DOCUMENT_ID}${item}` : intoDocument(item),
    ]),
  );
};

/** A component schema with `properties` and no word on other properties is closed. */
const closed = (schema: Schema): Schema =>
  schema.properties !== undefined && schema.additionalProperties === undefined ? { ...schema, additionalProperties: false } : schema;

interface Route {
  method: string;
  path: string;
  pattern: RegExp;
  responses: Record<string, Response>;
}

export class DocumentedAnswers {
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly routes: Route[];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenApiDocument) {
    addFormats(this.ajv);
    const schemas = Object.fromEntries(Object.entries(document.components?.schemas ?? {}).map(([name, schema]) => [name, closed(schema)]));
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: { schemas } });
    this.routes = Object.entries(document.paths)
      .flatMap(([path, operations]) =>
        Object.entries(operations).map(([method, operation]) => ({
          method: method.toUpperCase(),
          path,
          pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}/]+\}/g, '[^/]+')}$`),
          responses: operation.responses ?? {},
        })),
      )
      // A literal segment wins over a parameter: fewest parameters first.
      .sort((a, b) => a.path.split('{').length - b.path.split('{').length);
  }

  /** The documented route a request goes to, if any. */
  routeOf(method: string, url: string): Route | undefined {
    const path = url.split('?')[0];
    return this.routes.find((route) => route.method === method && route.pattern.test(path));
  }

  /** Compiles the schema of one documented response (and so resolves every reference in it). */
  validatorOf(route: Route, status: string, mediaType: string): ValidateFunction {
    const key = `${route.method} ${route.path} ${status} ${mediaType}`;
    let validate = this.validators.get(key);
    if (validate === undefined) {
      validate = this.ajv.compile(intoDocument(route.responses[status].content?.[mediaType]?.schema ?? {}) as Schema);
      this.validators.set(key, validate);
    }
    return validate;
  }

  /** Throws an Error naming the route, the status and what does not match, when the answer is not what the document says. */
  check(method: string, url: string, answer: CheckedAnswer): void {
    const path = url.split('?')[0];
    if (DOCS_ROUTE.test(path)) return;
    const asked = method === 'HEAD' ? 'GET' : method;
    const route = this.routeOf(asked, url);
    const fail = (what: string): never => {
      const body = answer.text.length > BODY_SHOWN ? `${answer.text.slice(0, BODY_SHOWN)}...` : answer.text;
      throw new Error(`OpenAPI drift: ${method} ${url} answered ${answer.statusCode}: ${what}\nbody: ${body}`);
    };
    if (route === undefined) return fail(`the document has no route ${asked} ${path}`);
    const where = `${route.method} ${route.path}`;
    const status = String(answer.statusCode) in route.responses ? String(answer.statusCode) : 'default';
    const response = route.responses[status];
    if (response === undefined)
      return fail(`${where} documents no ${answer.statusCode} answer (it documents ${Object.keys(route.responses).join(', ')})`);
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      if (header.required && answer.headers[name.toLowerCase()] === undefined)
        fail(`${where} ${status} documents the header ${name}, and it is missing`);
    }
    if (method === 'HEAD') return;
    const content = response.content ?? {};
    if (Object.keys(content).length === 0) {
      if (answer.text !== '') fail(`${where} ${status} documents no body, and there is one`);
      return;
    }
    const mediaType = String(answer.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    if (!(mediaType in content)) return fail(`${where} ${status} is documented as ${Object.keys(content).join(', ')}, not "${mediaType}"`);
    let body: unknown = answer.text;
    if (/[/+]json$/.test(mediaType)) {
      try {
        body = JSON.parse(answer.text);
      } catch {
        return fail(`${where} ${status}: the body is not JSON`);
      }
    }
    const validate = this.validatorOf(route, status, mediaType);
    if (!validate(body))
      fail(`${where} ${status}: the body does not match the document: ${this.ajv.errorsText(validate.errors, { separator: '; ' })}`);
  }
}

const loaded = new Map<string, DocumentedAnswers>();

/** One checker per distinct document: the apps of a run mostly serve the same one. */
export const documentedAnswers = (documentText: string): DocumentedAnswers => {
  let answers = loaded.get(documentText);
  if (answers === undefined) {
    answers = new DocumentedAnswers(JSON.parse(documentText) as OpenApiDocument);
    loaded.set(documentText, answers);
  }
  return answers;
};
