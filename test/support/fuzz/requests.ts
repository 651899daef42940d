/**
 * Malformed requests for one route of the OpenAPI document: a systematic list (every field
 * with every odd value, missing, null; bad JSON; media types; headers; path ids; query strings;
 * other methods) and a fast-check arbitrary (mutations of valid bodies one field at a time,
 * random bodies, byte-level damage, random ids, headers and query strings).
 */
import fc from 'fast-check';
import { conforms, type Method, type ObjectSchema, type Route, type Schema } from './openapi';
import {
  ENTITY_ID,
  IDEMPOTENCY_KEYS,
  IF_MATCH_VALUES,
  ODD_PATH_IDS,
  ODD_RAW,
  ODD_STRINGS,
  cursorOf,
  encodeLoosely,
  headerValueArb,
  oddStringArb,
  queryArb,
  rawValueArb,
} from './values';
import { entityOfPath, idsOf, type World } from './world';

export interface FuzzRequest {
  /** The route of the document it aims at, `POST /api/conversations/{id}/pick`. */
  route: string;
  /** What was done to it, `field:agentId=null`, `json:truncated`, `path-id:%2F`, ... */
  kind: string;
  method: Method;
  url: string;
  headers: Record<string, string | string[]>;
  payload?: string | Buffer;
  /**
   * The body breaks what the document promises the route takes (not JSON, not its schema,
   * another media type): a 2xx to it is listed among "accepted although malformed".
   */
  malformed: boolean;
}

/** A JSON object as ordered key and raw-JSON-text pairs, so `__proto__` keys and duplicates survive. */
type Fields = Array<[key: string, raw: string]>;

const JSON_TYPE = { 'content-type': 'application/json' };
const BODY_LIMIT_BYTES = 65_536;

export const objectText = (fields: Fields): string => `{${fields.map(([key, raw]) => `${JSON.stringify(key)}:${raw}`).join(',')}}`;

const setField = (fields: Fields, key: string, raw: string | undefined): Fields => {
  const rest = fields.filter(([k]) => k !== key);
  return raw === undefined ? rest : [...rest, [key, raw]];
};

const parseOrUndefined = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
};

/** Whether a JSON payload breaks the route's documented body. */
const breaksSchema = (route: Route, payload: string | Buffer | undefined, contentType: string | undefined): boolean => {
  if (route.body === undefined) return false; // a route without a body ignores one
  if (contentType === undefined || !/^application\/json\s*(;|$)/i.test(contentType)) return true;
  if (payload === undefined) return true;
  const parsed = parseOrUndefined(payload.toString());
  return !parsed.ok || !conforms(parsed.value, route.body);
};

const FRESH = Symbol('fresh id');

/**
 * Valid values for a body field, first the one the systematic part uses. `undefined` leaves an
 * optional field out; FRESH is a new id.
 */
const candidates = (route: Route, name: string, schema: Schema, required: boolean, world: World): unknown[] => {
  const optional = (values: unknown[]) => (required ? values : [undefined, ...values]);
  switch (name) {
    case 'agentId':
      return world.agents;
    case 'consultantId':
      return ['agent-2', 'agent-1', 'agent-3'];
    case 'toQueueId':
      return ['billing', 'support', 'sales'];
    case 'toAgentId':
      return [undefined, undefined, 'agent-2'];
    case 'supervisorId':
      return optional(world.supervisors);
    case 'queueId':
      return world.queues;
    case 'customerId':
      return [...world.customers, 'cust-2'];
    case 'id':
      if (route.path === '/api/agents') return [FRESH, ...world.agents];
      if (route.path === '/api/queues') return [FRESH, ...world.queues];
      // Spare ids are in the pool of path ids too: once the random part opens one, others act on it.
      return [FRESH, undefined, ...world.spareConversations];
    case 'by':
    case 'from':
      return ['agent', 'customer'];
    case 'capacity':
      return [3, 0, 1000];
    case 'queueIds':
      return [['support'], [...world.queues], []];
    case 'force':
      return [undefined, false, true];
    case 'priority':
      return optional([0, 50, 100]);
    case 'reason':
      return optional(['fuzz', 'customer_request_by_phone']);
    case 'name':
      return optional(['Fuzz queue']);
    default:
      break;
  }
  if (schema.enum !== undefined) return required ? schema.enum : [undefined, ...schema.enum];
  switch (schema.type) {
    case 'number':
    case 'integer':
      return optional([schema.minimum ?? 0]);
    case 'boolean':
      return optional([false, true]);
    case 'array':
      return optional([[]]);
    default:
      return optional([schema.pattern ? 'x-1' : 'x']);
  }
};

const rawOf = (value: unknown, fresh: () => string): string | undefined =>
  value === undefined ? undefined : value === FRESH ? JSON.stringify(fresh()) : JSON.stringify(value);

/** A valid body for the route, with the first candidate of every field (the systematic baseline). */
const baselineFields = (route: Route, body: ObjectSchema, world: World, fresh: () => string): Fields => {
  const fields: Fields = [];
  for (const [name, schema] of Object.entries(body.properties)) {
    const raw = rawOf(candidates(route, name, schema, body.required.includes(name), world)[0], fresh);
    if (raw !== undefined) fields.push([name, raw]);
  }
  return fields;
};

/** fast-check: a valid body for the route, every field drawn from its candidates. */
const validFieldsArb = (route: Route, body: ObjectSchema, world: World): fc.Arbitrary<Fields> => {
  const entries = Object.entries(body.properties);
  const fresh = fc.stringMatching(/^fz-[a-z0-9]{10}$/);
  return fc
    .tuple(
      ...entries.map(([name, schema]) => fc.constantFrom(...candidates(route, name, schema, body.required.includes(name), world))),
      fresh,
    )
    .map(([...drawn]) => {
      const id = drawn.pop() as string;
      const fields: Fields = [];
      entries.forEach(([name], index) => {
        const raw = rawOf(drawn[index], () => id);
        if (raw !== undefined) fields.push([name, raw]);
      });
      return fields;
    });
};

/** The URL of the route for a path id (already in URL form) and a query string. */
const urlOf = (route: Route, id: string, query = ''): string => `${route.path.replace(/\{[^}]+\}/g, id)}${query === '' ? '' : `?${query}`}`;

/** Cursors the service decodes for the route's list, with keys of the right shape but odd values (and wrong shapes). */
const cursorsFor = (route: Route, id: string): string[] => {
  const lists: Record<string, [string, string]> = {
    '/api/agents': ['capacityBoard', 's'],
    '/api/queues': ['queues', 'ns'],
    '/api/queues/{id}/work-items': [`queueWorkItems:${id}`, 'nss'],
    '/api/agents/{id}/work-items': [`myWorkItems:${id}`, 'ss'],
    '/api/agents/{id}/closed-work-items': [`closedWorkItems:${id}`, 'ss'],
    '/api/audit': ['audit', 'n'],
  };
  const [list, shape] = lists[route.path] ?? ['unknown', 's'];
  const keyOf = (n: number, s: string) => [...shape].map((kind) => (kind === 'n' ? n : s));
  return [
    cursorOf({ l: list, k: keyOf(0, '') }),
    cursorOf({ l: list, k: keyOf(1e308, '\u0000') }),
    cursorOf({ l: list, k: keyOf(-1e308, '\uffff'.repeat(50)) }),
    cursorOf({ l: list, k: keyOf(0.5, 'x'.repeat(2500)) }),
    cursorOf({ l: list, k: keyOf(Number.MAX_SAFE_INTEGER, "' OR 1=1 --") }),
    cursorOf({ l: list, k: keyOf(-1, '9999-12-31T23:59:59.999Z') }),
    cursorOf({ l: list, k: [] }),
    cursorOf({ l: list, k: [...keyOf(1, 'a'), 'extra'] }),
    cursorOf({ l: list, k: [...shape].map((kind) => (kind === 'n' ? 'a' : 1)) }),
    cursorOf({ l: list, k: [...shape].map(() => null) }),
    cursorOf({ l: list, k: [...shape].map(() => ({ $gt: '' })) }),
    cursorOf({ l: list }),
    cursorOf({ l: 'audit', k: [1] }),
    cursorOf({ l: `${list}x`, k: keyOf(1, 'a') }),
    cursorOf(null),
    cursorOf([list, keyOf(1, 'a')]),
    cursorOf('x'),
    Buffer.from('{"l":', 'utf8').toString('base64url'),
    Buffer.from([0xff, 0xfe, 0x00]).toString('base64url'),
    'a'.repeat(4096),
    'a'.repeat(4097),
    '====',
    '%00',
  ];
};

/** Values of a query parameter: wrong types, edges, arrays, odd strings; the key, the value, raw. */
const queryValues = (name: string): string[] => {
  const common = [
    '',
    'abc',
    '-1',
    '0',
    '1',
    '1.5',
    '1e3',
    '0x10',
    '%201',
    '1%20',
    '999999999999999999999',
    'NaN',
    'Infinity',
    'null',
    'true',
    '%00',
    '%E0%A4%A',
  ];
  const odd = ODD_STRINGS.filter((s) => s.length < 2000).map(encodeLoosely);
  const specific: Record<string, string[]> = {
    limit: ['500', '501', '1', '9007199254740993'],
    minPosition: ['0', '1000000000', '1e2', '-0', '9007199254740993'],
    from: [
      '2026-03-02T09:00:00Z',
      '2026-03-02T09:00:00%2B25:00',
      '2026-02-30T00:00:00Z',
      '2026-03-02',
      '%2B275760-09-13T00:00:00.000Z',
      '0000-01-01T00:00:00Z',
    ],
    to: ['2026-03-02T09:00:00Z', '2026-03-02T09:00:00.123456789Z', '2026-13-01T00:00:00Z', '1970-01-01T00:00:00-00:00'],
    asOf: [
      '2026-03-02T09:00:00Z',
      '2026-03-02T08:59:59.999Z',
      '2026-03-02T09:00:00%2B14:00',
      '1900-01-01T00:00:00Z',
      '9999-12-31T23:59:59.999Z',
      '2026-03-02T09:00:00',
    ],
  };
  return [...common, ...odd, ...(specific[name] ?? [])];
};

export interface GeneratorContext {
  world: World;
  /** A new id, different at every call (ids the body may name, so opens are not ALREADY_EXISTS). */
  fresh: () => string;
}

/**
 * The systematic part for one route. Requests aim at the existing ids of the route's entity in
 * turn, so the same malformation meets entities in different states.
 */
export const systematicRequests = (route: Route, context: GeneratorContext): FuzzRequest[] => {
  const { world, fresh } = context;
  const pool = idsOf(world, entityOfPath(route.path));
  let turn = 0;
  const nextId = () => (pool.length === 0 ? '' : encodeURIComponent(pool[turn++ % pool.length]));
  const requests: FuzzRequest[] = [];
  const add = (
    kind: string,
    options: { url?: string; payload?: string | Buffer; headers?: Record<string, string | string[]>; method?: Method },
  ) => {
    const headers = options.headers ?? (options.payload === undefined ? {} : JSON_TYPE);
    const contentType = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] as string | undefined;
    requests.push({
      route: route.key,
      kind,
      method: options.method ?? route.method,
      url: options.url ?? urlOf(route, nextId()),
      headers,
      payload: options.payload,
      malformed: breaksSchema(route, options.payload, contentType),
    });
  };

  const body = route.body;
  const valid = () => (body === undefined ? undefined : objectText(baselineFields(route, body, world, fresh)));

  if (body !== undefined) {
    add('valid', { payload: valid() });
    const allFields = () => baselineFields(route, body, world, fresh);
    // Every field: left out, then every odd value, then the edges of its own type.
    for (const [name, schema] of Object.entries(body.properties)) {
      add(`field:${name}=missing`, { payload: objectText(setField(allFields(), name, undefined)) });
      for (const [label, raw] of ODD_RAW) add(`field:${name}=${label}`, { payload: objectText(setField(allFields(), name, raw)) });
      for (const odd of ODD_STRINGS) {
        add(`field:${name}="${odd.length > 20 ? `${odd.slice(0, 8)}…(${odd.length})` : odd}"`, {
          payload: objectText(setField(allFields(), name, JSON.stringify(odd))),
        });
      }
      if (schema.type === 'number' || schema.type === 'integer') {
        const edges = [schema.minimum, schema.maximum].filter((n): n is number => n !== undefined);
        for (const n of [...edges, ...edges.map((e) => e - 1), ...edges.map((e) => e + 1), ...edges.map((e) => e + 0.5)]) {
          add(`field:${name}=${n}`, { payload: objectText(setField(allFields(), name, String(n))) });
        }
        add(`field:${name}="5"`, { payload: objectText(setField(allFields(), name, '"5"')) });
      }
      for (const value of schema.enum ?? []) {
        const text = String(value);
        for (const variant of [text.toUpperCase(), ` ${text}`, `${text}\u0000`, `${text}x`, text.slice(0, -1)]) {
          add(`field:${name}=enum-variant`, { payload: objectText(setField(allFields(), name, JSON.stringify(variant))) });
        }
      }
      if (schema.type === 'array') {
        add(`field:${name}=101-items`, {
          payload: objectText(setField(allFields(), name, JSON.stringify(Array.from({ length: 101 }, (_, i) => `q${i}`)))),
        });
        add(`field:${name}=100-unknown`, {
          payload: objectText(setField(allFields(), name, JSON.stringify(Array.from({ length: 100 }, (_, i) => `nobody-${i}`)))),
        });
        add(`field:${name}=duplicates`, { payload: objectText(setField(allFields(), name, JSON.stringify(['support', 'support']))) });
        add(`field:${name}=[odd]`, { payload: objectText(setField(allFields(), name, JSON.stringify(ODD_STRINGS.slice(0, 40)))) });
        add(`field:${name}=[numbers]`, { payload: objectText(setField(allFields(), name, '[1,2,3]')) });
      }
    }
    // The whole body.
    const base = valid() as string;
    const structural: Array<[string, string]> = [
      ['{}', '{}'],
      ['[]', '[]'],
      ['null', 'null'],
      ['"string"', '"string"'],
      ['0', '0'],
      ['true', 'true'],
      ['[valid]', `[${base}]`],
      ['extra-field', objectText([...allFields(), ['extra', '1']])],
      ['extra-empty-key', objectText([...allFields(), ['', '1']])],
      ['__proto__-only', '{"__proto__":{"x":1}}'],
      ['__proto__-with-valid', objectText([...allFields(), ['__proto__', '{"x":1}']])],
      ['__proto__-null', objectText([...allFields(), ['__proto__', 'null']])],
      ['constructor-only', '{"constructor":{"prototype":{"x":1}}}'],
      ['constructor-with-valid', objectText([...allFields(), ['constructor', '{"prototype":{"x":1}}']])],
      ['prototype-key', objectText([...allFields(), ['prototype', '{"x":1}']])],
      ['toString-key', objectText([...allFields(), ['toString', '"x"']])],
      ['duplicate-keys', objectText([...allFields(), ...allFields().map(([k]) => [k, '"dup-value"'] as [string, string])])],
      ['nested-33', `${'{"a":'.repeat(33)}1${'}'.repeat(33)}`],
      ['nested-10000-arrays', `${'['.repeat(10_000)}${']'.repeat(10_000)}`],
      ['nested-5000-objects', `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`],
      ['5000-keys', `{${Array.from({ length: 5000 }, (_, i) => `"k${i}":${i}`).join(',')}}`],
    ];
    for (const [label, payload] of structural) add(`body:${label}`, { payload });
    // Not JSON.
    const firstKey = Object.keys(body.properties)[0] ?? 'x';
    const badJson: Array<[string, string | Buffer]> = [
      ['truncated-half', base.slice(0, Math.floor(base.length / 2))],
      ['truncated-last', base.slice(0, -1)],
      ['trailing-garbage', `${base}x`],
      ['trailing-brace', `${base}}`],
      ['trailing-comma', base.length > 2 ? `${base.slice(0, -1)},}` : '{,}'],
      ['two-documents', `${base}${base}`],
      ['leading-garbage', `x${base}`],
      ['single-quotes', base.replace(/"/g, "'")],
      ['unquoted-keys', base.replace(/"(\w+)":/g, '$1:')],
      ['comment', `/*c*/${base}`],
      ['NaN', `{"${firstKey}":NaN}`],
      ['undefined', `{"${firstKey}":undefined}`],
      ['raw-control-char', `{"${firstKey}":"a\u0001b"}`],
      ['raw-newline', `{"${firstKey}":"a\nb"}`],
      ['bad-escape', `{"${firstKey}":"\\x41"}`],
      ['bad-unicode-escape', `{"${firstKey}":"\\u12"}`],
      ['lone-surrogate-escape', `{"${firstKey}":"\\ud800"}`],
      ['bom', `\ufeff${base}`],
      ['whitespace-only', '   \n\t '],
      ['empty', ''],
      ['unterminated-string', `{"${firstKey}":"abc`],
      ['unbalanced', '{"a":[1,2}'],
      ['invalid-utf8', Buffer.concat([Buffer.from(`{"${firstKey}":"`), Buffer.from([0xff, 0xfe, 0xc0, 0xae]), Buffer.from('"}')])],
      ['utf16', Buffer.from(base, 'utf16le')],
    ];
    for (const [label, payload] of badJson) add(`json:${label}`, { payload });
    // Sizes around the 64 KB body limit, and well over it.
    const withFiller = (bytes: number) => {
      const fields = allFields();
      const padding = bytes - Buffer.byteLength(objectText(fields));
      return `${objectText(fields).slice(0, -1)}${' '.repeat(Math.max(0, padding - 1))}}`;
    };
    add('size:exactly-limit', { payload: withFiller(BODY_LIMIT_BYTES) });
    add('size:limit+1', { payload: withFiller(BODY_LIMIT_BYTES + 1) });
    add(`size:field-${firstKey}-100KB`, { payload: objectText(setField(allFields(), firstKey, JSON.stringify('x'.repeat(100_000)))) });
    add(`size:field-${firstKey}-60KB`, { payload: objectText(setField(allFields(), firstKey, JSON.stringify('x'.repeat(60_000)))) });
    add('size:1MB-garbage', { payload: 'x'.repeat(1_000_000) });
    add('size:60KB-unicode', { payload: objectText(setField(allFields(), firstKey, JSON.stringify('😀'.repeat(15_000)))) });
    // Media types.
    const form = allFields()
      .map(([k, raw]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(JSON.parse(raw)))}`)
      .join('&');
    const mediaTypes: Array<[string, Record<string, string>, string | Buffer | undefined]> = [
      ['text/plain', { 'content-type': 'text/plain' }, base],
      ['text/plain-garbage', { 'content-type': 'text/plain' }, 'hello'],
      ['form', { 'content-type': 'application/x-www-form-urlencoded' }, form],
      [
        'form-pollution',
        { 'content-type': 'application/x-www-form-urlencoded' },
        `__proto__[x]=1&constructor[prototype][x]=1&__proto__=1&${form}`,
      ],
      ['form-garbage', { 'content-type': 'application/x-www-form-urlencoded' }, '%%%&&&===%E0%A4%A'],
      ['none', {}, base],
      ['none-no-body', {}, undefined],
      ['json-no-body', JSON_TYPE, undefined],
      [
        'multipart',
        { 'content-type': 'multipart/form-data; boundary=x' },
        '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
      ],
      ['xml', { 'content-type': 'application/xml' }, '<a>1</a>'],
      ['octet-stream', { 'content-type': 'application/octet-stream' }, Buffer.from([0, 1, 2, 255])],
      ['json-utf16-charset', { 'content-type': 'application/json; charset=utf-16' }, base],
      ['json-latin1-charset', { 'content-type': 'application/json; charset=latin1' }, base],
      ['json-upper-case', { 'content-type': 'APPLICATION/JSON' }, base],
      ['json-odd-params', { 'content-type': 'application/json;;;x=;' }, base],
      ['json-suffix', { 'content-type': 'application/vnd.api+json' }, base],
      ['json-list', { 'content-type': 'application/json, text/plain' }, base],
      ['json-huge-type', { 'content-type': `application/json; x=${'y'.repeat(10_000)}` }, base],
      ['empty-type', { 'content-type': '' }, base],
      ['gzip-encoding', { ...JSON_TYPE, 'content-encoding': 'gzip' }, base],
      ['content-length-larger', { ...JSON_TYPE, 'content-length': String(Buffer.byteLength(base) + 10) }, base],
      ['content-length-smaller', { ...JSON_TYPE, 'content-length': '2' }, base],
    ];
    for (const [label, headers, payload] of mediaTypes) add(`media:${label}`, { headers, payload });
  } else if (route.method === 'GET') {
    add('valid', {});
    add('get-with-json-body', { payload: '{"x":1}' });
    add('get-with-bad-json-body', { payload: '{"x":' });
    add('get-with-100KB-body', { payload: JSON.stringify({ x: 'x'.repeat(100_000) }) });
    add('get-with-text-body', { headers: { 'content-type': 'text/plain' }, payload: 'hello' });
  }

  // Headers: If-Match and Idempotency-Key garbage (on every route; those that do not read them ignore them).
  const payloadFor = () => valid();
  const headersWith = (extra: Record<string, string | string[]>) => (body === undefined ? extra : { ...JSON_TYPE, ...extra });
  for (const value of IF_MATCH_VALUES)
    add(`header:if-match=${value.slice(0, 20)}`, { headers: headersWith({ 'if-match': value }), payload: payloadFor() });
  add('header:if-match=list', { headers: headersWith({ 'if-match': ['"0"', '"1"'] }), payload: payloadFor() });
  for (const value of IDEMPOTENCY_KEYS)
    add(`header:idempotency-key=${value.slice(0, 20)}`, { headers: headersWith({ 'idempotency-key': value }), payload: payloadFor() });
  add('header:idempotency-key=list', { headers: headersWith({ 'idempotency-key': ['a', 'b'] }), payload: payloadFor() });
  add('header:both-garbage', { headers: headersWith({ 'if-match': '"abc"', 'idempotency-key': 'a b' }), payload: payloadFor() });
  add('header:accept-xml', { headers: headersWith({ accept: 'application/xml' }), payload: payloadFor() });
  add('header:method-override', { headers: headersWith({ 'x-http-method-override': 'DELETE' }), payload: payloadFor() });
  add('header:huge-other', { headers: headersWith({ 'x-fuzz': 'x'.repeat(100_000) }), payload: payloadFor() });
  add('header:constructor-name', { headers: headersWith({ constructor: 'x', prototype: 'y' }), payload: payloadFor() });

  // Path ids.
  if (route.pathParameters.length > 0) {
    for (const id of ODD_PATH_IDS) add(`path-id:${id.slice(0, 24)}`, { url: urlOf(route, id), payload: payloadFor() });
  }

  // Query strings.
  for (const parameter of route.query) {
    for (const value of queryValues(parameter.name)) {
      add(`query:${parameter.name}=${value.slice(0, 20)}`, {
        url: urlOf(route, nextId(), `${parameter.name}=${value}`),
        payload: payloadFor(),
      });
    }
    for (const query of [
      `${parameter.name}=1&${parameter.name}=2`,
      `${parameter.name}[]=1`,
      `${parameter.name}[a]=1`,
      parameter.name,
      `${parameter.name}=`,
    ]) {
      add(`query:${query}`, { url: urlOf(route, nextId(), query), payload: payloadFor() });
    }
    if (parameter.name === 'cursor') {
      const id = nextId();
      for (const cursor of cursorsFor(route, decodeURIComponent(id)))
        add('query:cursor=crafted', { url: urlOf(route, id, `cursor=${cursor}`), payload: payloadFor() });
    }
  }
  for (const query of [
    'foo=1',
    '__proto__=1',
    '__proto__[x]=1',
    'constructor[prototype][x]=1',
    'toString=1',
    `a=${'b'.repeat(100_000)}`,
    '&&&',
    '=',
    '%ZZ=1',
    'a=%ZZ',
    '?',
    '#x',
  ]) {
    add(`query:${query.slice(0, 24)}`, { url: urlOf(route, nextId(), query), payload: payloadFor() });
  }
  return requests;
};

/** Other methods on a path of the document: PUT, PATCH, DELETE, OPTIONS, HEAD, and GET/POST where not served. */
export const otherMethodRequests = (path: string, served: Set<Method>, world: World): FuzzRequest[] => {
  const pool = idsOf(world, entityOfPath(path));
  const url = path.replace(/\{[^}]+\}/g, encodeURIComponent(pool[0] ?? 'x'));
  const methods: Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
  return methods
    .filter((method) => !served.has(method) && !(method === 'HEAD' && served.has('GET')))
    .map((method) => ({
      route: `${method} ${path}`,
      kind: 'method',
      method,
      url,
      headers: method === 'GET' || method === 'HEAD' ? {} : JSON_TYPE,
      payload: method === 'GET' || method === 'HEAD' ? undefined : '{"agentId":"agent-1"}',
      malformed: true,
    }));
};

/** Damage to a JSON text: characters inserted, deleted or replaced at random places. */
const damageArb = fc.array(
  fc.record({
    op: fc.constantFrom('insert', 'delete', 'replace'),
    at: fc.nat(),
    text: fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }),
  }),
  { minLength: 1, maxLength: 4 },
);

const applyDamage = (text: string, damage: Array<{ op: string; at: number; text: string }>): string =>
  damage.reduce((current, { op, at, text: piece }) => {
    const index = at % (current.length + 1);
    if (op === 'insert') return current.slice(0, index) + piece + current.slice(index);
    if (op === 'delete') return current.slice(0, index) + current.slice(index + piece.length);
    return current.slice(0, index) + piece + current.slice(index + piece.length);
  }, text);

const contentTypeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant<string | undefined>('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom<string | undefined>(
      'text/plain',
      'application/x-www-form-urlencoded',
      undefined,
      'application/json; charset=utf-8',
      'multipart/form-data',
      'application/octet-stream',
      '',
    ),
  },
);

/** The random part for one route: one fast-check arbitrary of malformed requests. */
export const randomRequestArb = (route: Route, world: World): fc.Arbitrary<FuzzRequest> => {
  const pool = idsOf(world, entityOfPath(route.path));
  const idArb = pool.length > 0 ? fc.constantFrom(...pool).map(encodeURIComponent) : fc.constant('');
  const body = route.body;
  const validArb: fc.Arbitrary<string | undefined> =
    body === undefined ? fc.constant(undefined) : validFieldsArb(route, body, world).map(objectText);
  const make = (
    kind: string,
    url: string,
    payload: string | Buffer | undefined,
    headers: Record<string, string | string[]>,
  ): FuzzRequest => {
    const contentType = headers['content-type'] as string | undefined;
    return { route: route.key, kind, method: route.method, url, headers, payload, malformed: breaksSchema(route, payload, contentType) };
  };
  const jsonHeaders = (payload: unknown) => (payload === undefined ? {} : JSON_TYPE);

  const pathIdArb = fc
    .tuple(
      fc.oneof(
        { weight: 2, arbitrary: fc.constantFrom(...ODD_PATH_IDS) },
        { weight: 3, arbitrary: oddStringArb.map(encodeLoosely) },
        { weight: 2, arbitrary: fc.stringMatching(ENTITY_ID) },
        { weight: 2, arbitrary: idArb },
      ),
      validArb,
    )
    .map(([id, payload]) => make('random:path-id', urlOf(route, id), payload, jsonHeaders(payload)));

  const headersArb = fc.tuple(idArb, validArb, fc.option(headerValueArb), fc.option(headerValueArb)).map(([id, payload, ifMatch, key]) => {
    const headers: Record<string, string> = { ...jsonHeaders(payload) };
    if (ifMatch !== null) headers['if-match'] = ifMatch;
    if (key !== null) headers['idempotency-key'] = key;
    return make('random:headers', urlOf(route, id), payload, headers);
  });

  const names = route.query.map((p) => p.name);
  const cursorArb = idArb.chain((id) =>
    fc.oneof(
      fc.constantFrom(...cursorsFor(route, decodeURIComponent(id))),
      fc.jsonValue({ maxDepth: 2 }).map((k) => cursorOf({ l: 'x', k })),
      fc
        .array(fc.oneof(fc.double(), fc.string({ unit: 'binary', maxLength: 20 })), { maxLength: 4 })
        .map((k) => cursorOf({ l: ['audit', 'queues', 'capacityBoard'][k.length % 3], k })),
    ),
  );
  const queryStringArb = fc
    .tuple(idArb, validArb, queryArb(names, cursorArb))
    .map(([id, payload, query]) => make('random:query', urlOf(route, id, query), payload, jsonHeaders(payload)));

  if (body === undefined) {
    const getWithBodyArb = fc
      .tuple(idArb, rawValueArb, contentTypeArb)
      .map(([id, payload, contentType]) =>
        make('random:get-with-body', urlOf(route, id), payload, contentType === undefined ? {} : { 'content-type': contentType }),
      );
    return fc.oneof(
      { weight: 3, arbitrary: pathIdArb },
      { weight: 1, arbitrary: headersArb },
      { weight: 4, arbitrary: queryStringArb },
      { weight: 1, arbitrary: getWithBodyArb },
    );
  }

  const fieldNames = Object.keys(body.properties);
  const extraKeyArb = fc.oneof(
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra', 'agentId ', 'AGENTID', '', 'toString', 'hasOwnProperty'),
    fc.string({ maxLength: 12 }),
  );
  const fieldArb =
    fieldNames.length > 0
      ? fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...fieldNames) }, { weight: 1, arbitrary: extraKeyArb })
      : extraKeyArb;

  // A valid body with one field changed: set to an odd value, or left out.
  const mutateArb = fc
    .tuple(idArb, validFieldsArb(route, body, world), fieldArb, fc.option(rawValueArb, { nil: undefined, freq: 8 }))
    .map(([id, fields, field, raw]) => {
      const payload = objectText(setField(fields, field, raw));
      return make(`random:field:${field}=${raw === undefined ? 'missing' : 'odd'}`, urlOf(route, id), payload, JSON_TYPE);
    });

  // Any JSON at all, or an object of the route's field names with odd values.
  const randomBodyArb = fc
    .tuple(
      idArb,
      fc.oneof(
        fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
        fc.array(fc.tuple(fieldArb, rawValueArb), { maxLength: 6 }).map((fields) => objectText(fields)),
      ),
    )
    .map(([id, payload]) => make('random:body', urlOf(route, id), payload, JSON_TYPE));

  // A valid JSON text damaged at the byte level, under some media type.
  const damagedArb = fc
    .tuple(idArb, validArb, damageArb, contentTypeArb)
    .map(([id, valid, damage, contentType]) =>
      make(
        'random:damaged',
        urlOf(route, id),
        applyDamage(valid as string, damage),
        contentType === undefined ? {} : { 'content-type': contentType },
      ),
    );

  // A valid body on an existing id, sometimes pinned to a revision or under a reused key: the
  // domain's refusals (409, 412, 422) must write nothing either, capacity reservations included.
  const validArbWithHeaders = fc
    .tuple(idArb, validArb, fc.option(fc.integer({ min: -1, max: 12 })), fc.option(fc.constantFrom('key-1', 'key-2', 'key-3')))
    .map(([id, payload, revision, key]) => {
      const headers: Record<string, string> = { ...JSON_TYPE };
      if (revision !== null) headers['if-match'] = `"${revision}"`;
      if (key !== null) headers['idempotency-key'] = key;
      return make('random:valid', urlOf(route, id), payload, headers);
    });

  return fc.oneof(
    { weight: 3, arbitrary: validArbWithHeaders },
    { weight: 6, arbitrary: mutateArb },
    { weight: 2, arbitrary: randomBodyArb },
    { weight: 2, arbitrary: damagedArb },
    ...(route.pathParameters.length > 0 ? [{ weight: 2, arbitrary: pathIdArb }] : []),
    { weight: 2, arbitrary: headersArb },
    { weight: 1, arbitrary: queryStringArb },
  );
};
