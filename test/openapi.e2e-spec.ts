/**
 * The OpenAPI document tells the truth about every route: it is a valid OpenAPI document, every
 * route the controllers serve is in it with its success body, its headers and its refusals, and
 * every schema in it compiles. (That each answer matches it is checked by the harness on every
 * answer of every e2e suite: see support/documented-answers.ts.)
 */
import { spawnSync } from 'node:child_process';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { startApp, type TestApp } from './support/start-app';
import { DocumentedAnswers, type OpenApiDocument } from './support/documented-answers';

let t: TestApp;
let doc: OpenApiDocument;

beforeAll(async () => {
  t = await startApp();
  const answer = await t.get('/api/docs-json');
  expect(answer.statusCode).toBe(200);
  doc = answer.body as OpenApiDocument;
});
afterAll(async () => {
  await t?.close();
});

/** The package is an ES module; Jest runs CommonJS, so it runs in a Node process of its own. */
const validateWithOpenApiSchemaValidator = (document: unknown): { valid: boolean; errors?: unknown } => {
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    import { readFileSync } from 'node:fs';
    const result = await new Validator().validate(JSON.parse(readFileSync(0, 'utf8')));
    process.stdout.write(JSON.stringify(result));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    input: JSON.stringify(document),
    cwd: process.cwd(),
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`openapi-schema-validator did not run: ${run.stderr}`);
  return JSON.parse(run.stdout) as { valid: boolean; errors?: unknown };
};

/** Every route of every controller, as `GET /api/agents/{id}`. */
const controllerRoutes = (): string[] => {
  const routes: string[] = [];
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (!metatype) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
      for (const name of Object.getOwnPropertyNames(metatype.prototype)) {
        const handler = (metatype.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const path = `/${[base, String(Reflect.getMetadata(PATH_METADATA, handler))].join('/')}`
          .replace(/\/+/g, '/')
          .replace(/(.)\/$/, '$1');
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        routes.push(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
      }
    }
  }
  return routes.sort();
};

const ERROR_BODY = '#/components/schemas/ErrorBody';
const refersToErrorBody = (schema: unknown): boolean => JSON.stringify(schema ?? {}).includes(`"$ref":"${ERROR_BODY}"`);

describe('the OpenAPI document', () => {
  it('is valid OpenAPI (@seriousme/openapi-schema-validator)', () => {
    const result = validateWithOpenApiSchemaValidator(doc);
    if (!result.valid) throw new Error(`The OpenAPI document is not valid:\n${JSON.stringify(result.errors, null, 2)}`);
    expect(result.valid).toBe(true);
  });

  it('documents exactly the routes the controllers serve', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(controllerRoutes());
  });

  it("gives every route a success body, its headers and its refusals in the error body's shape", () => {
    const problems: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const route = `${method.toUpperCase()} ${path}`;
        const responses = operation.responses ?? {};
        const missing = (what: string) => problems.push(`${route}: ${what}`);
        const successes = Object.keys(responses).filter((status) => /^2\d\d$/.test(status));
        // 204 No Content is the one success without a body.
        if (
          !successes.includes('204') &&
          !successes.some((status) => Object.values(responses[status].content ?? {}).some((media) => media.schema !== undefined))
        )
          missing('no 2xx answer with a body schema');
        for (const [status, response] of Object.entries(responses)) {
          if (!response.headers?.['X-Request-Id']?.required) missing(`${status} does not document X-Request-Id`);
          const schema = response.content?.['application/json']?.schema;
          if (/^[45]/.test(status) && !(path.startsWith('/health') && status === '503') && !refersToErrorBody(schema))
            missing(`${status} is not an ErrorBody`);
        }
        if (responses['201'] && !responses['201'].headers?.Location?.required) missing('201 without Location');
        const refusals = [
          '500',
          ...(operation.security ? ['401', '403', '429', '503'] : []),
          ...(method === 'post' ? ['400', '413', '415'] : []),
        ];
        for (const status of refusals) if (!responses[status]) missing(`no ${status}`);
        if (operation.security && !responses['401']?.headers?.['WWW-Authenticate']?.required) missing('401 without WWW-Authenticate');
        if (operation.security && !responses['429']?.headers?.['Retry-After']?.required) missing('429 without Retry-After');
        if (path.startsWith('/api/conversations') && method === 'post') {
          const success = responses['200'] ?? responses['201'];
          if (!success?.headers?.ETag?.required || !success.headers['Idempotent-Replayed'])
            missing('a command answer without ETag and Idempotent-Replayed');
          if (!responses['412'] || !responses['422']) missing('a command without 412 and 422');
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('has response schemas that all compile, every reference resolved', () => {
    const answers = new DocumentedAnswers(doc);
    let compiled = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const route = answers.routeOf(method.toUpperCase(), path.replace(/\{\w+\}/g, 'x'));
        if (route === undefined) throw new Error(`${method} ${path} is not found by its own template`);
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          for (const mediaType of Object.keys(response.content ?? {})) {
            answers.validatorOf(route, status, mediaType);
            compiled++;
          }
        }
      }
    }
    expect(compiled).toBeGreaterThan(100);
  });
});
