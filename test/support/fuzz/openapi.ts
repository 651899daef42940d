/**
 * The part of an OpenAPI 3 document the fuzz suite reads: every route (method and path), its
 * path, query and header parameters, and its JSON body schema with `$ref`s resolved.
 */

export interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  example?: unknown;
  default?: unknown;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'HEAD';

export interface Route {
  /** `POST /api/conversations/{id}/pick`: how findings and counts name the route. */
  key: string;
  method: Method;
  /** The path template as the document writes it, `{id}` for a path parameter. */
  path: string;
  pathParameters: Parameter[];
  query: Parameter[];
  headers: Parameter[];
  /** The JSON body's object schema, resolved; undefined when the route takes no body. */
  body?: ObjectSchema;
}

export interface ObjectSchema extends Schema {
  properties: Record<string, Schema>;
  required: string[];
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'options', 'head']);

const resolve = (doc: OpenApiDocument, schema: Schema | undefined, depth = 0): Schema | undefined => {
  if (schema === undefined || depth > 10) return schema;
  if (schema.$ref !== undefined) {
    const name = /^#\/components\/schemas\/(.+)$/.exec(schema.$ref)?.[1];
    const target = name === undefined ? undefined : doc.components?.schemas?.[name];
    if (target === undefined) throw new Error(`OpenAPI document: unresolvable $ref ${schema.$ref}`);
    return resolve(doc, target, depth + 1);
  }
  const properties =
    schema.properties === undefined
      ? undefined
      : Object.fromEntries(Object.entries(schema.properties).map(([key, value]) => [key, resolve(doc, value, depth + 1) as Schema]));
  return { ...schema, ...(properties ? { properties } : {}), ...(schema.items ? { items: resolve(doc, schema.items, depth + 1) } : {}) };
};

/** Every route of the document, in document order. */
export const routesOf = (doc: OpenApiDocument): Route[] => {
  const routes: Route[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [verb, operation] of Object.entries(operations)) {
      if (!HTTP_METHODS.has(verb)) continue;
      const method = verb.toUpperCase() as Method;
      const parameters = (operation.parameters ?? []).map((p) => ({ ...p, schema: resolve(doc, p.schema) }));
      const bodySchema = resolve(doc, operation.requestBody?.content?.['application/json']?.schema);
      routes.push({
        key: `${method} ${path}`,
        method,
        path,
        pathParameters: parameters.filter((p) => p.in === 'path'),
        query: parameters.filter((p) => p.in === 'query'),
        headers: parameters.filter((p) => p.in === 'header'),
        body:
          bodySchema === undefined
            ? undefined
            : { ...bodySchema, properties: bodySchema.properties ?? {}, required: bodySchema.required ?? [] },
      });
    }
  }
  return routes;
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Whether a value keeps to what the document promises the route takes. Strict where the document
 * is silent (no nulls, no extra properties): the service runs with forbidNonWhitelisted.
 */
export const conforms = (value: unknown, schema: Schema | undefined): boolean => {
  if (schema === undefined) return true;
  if (schema.enum !== undefined) return schema.enum.includes(value);
  switch (schema.type) {
    case 'string':
      return typeof value === 'string' && (schema.pattern === undefined || new RegExp(schema.pattern).test(value));
    case 'number':
    case 'integer':
      return (
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (schema.type === 'number' || Number.isInteger(value)) &&
        (schema.minimum === undefined || value >= schema.minimum) &&
        (schema.maximum === undefined || value <= schema.maximum)
      );
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value) && value.every((item) => conforms(item, schema.items));
    case 'object': {
      if (!isPlainObject(value)) return false;
      const properties = schema.properties ?? {};
      if ((schema.required ?? []).some((name) => value[name] === undefined)) return false;
      return Object.entries(value).every(([key, item]) => Object.hasOwn(properties, key) && conforms(item, properties[key]));
    }
    default:
      return true;
  }
};
