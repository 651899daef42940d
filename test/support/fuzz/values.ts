/**
 * The odd values the fuzz suite sends: strings, raw JSON fragments, path ids, header values and
 * query strings, as fixed lists (the systematic part) and as fast-check arbitraries (the random part).
 */
import fc from 'fast-check';

/** Strings that break ids, parsers, logs, SQL or object lookups, or sit at a length limit. */
export const ODD_STRINGS: readonly string[] = [
  '',
  ' ',
  '0',
  'null',
  'undefined',
  'true',
  'NaN',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  '../../../etc/passwd',
  '..',
  './',
  'a/b',
  'a\\b',
  'a b',
  ' agent-1',
  'agent-1 ',
  'AGENT-1',
  '-agent',
  '_agent',
  '.agent',
  '\u0000',
  'a\u0000b',
  '\t',
  '\r\n',
  '\u001b[31mred',
  '\u007f',
  '\u0085',
  '\u202eevil',
  '\ufeffbom',
  '\u200b',
  'é',
  'e\u0301',
  'Ω≈ç√∫',
  '😀',
  '\ud800',
  '\udfff\ud800',
  '𝕒𝕘𝕖𝕟𝕥',
  '%00',
  '%2F',
  '%2e%2e%2f',
  "'; DROP TABLE events; --",
  '" OR ""="',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  '$where',
  '-1',
  '1e309',
  'a:b',
  'a.b.',
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(1000),
  'x'.repeat(10_000),
];

/** Raw JSON values other than strings: wrong types, edges of numbers, nesting, pollution shapes. */
export const ODD_RAW: ReadonlyArray<readonly [label: string, raw: string]> = [
  ['null', 'null'],
  ['true', 'true'],
  ['false', 'false'],
  ['0', '0'],
  ['-1', '-1'],
  ['1.5', '1.5'],
  ['-0', '-0'],
  ['1e400', '1e400'],
  ['-1e400', '-1e400'],
  ['2^53+1', '9007199254740993'],
  ['1e-400', '1e-400'],
  ['[]', '[]'],
  ['{}', '{}'],
  ['["x"]', '["x"]'],
  ['[null]', '[null]'],
  ['[[]]', '[[]]'],
  ['{"a":1}', '{"a":1}'],
  ['{"$ne":null}', '{"$ne":null}'],
  ['nested-40', `${'['.repeat(40)}${']'.repeat(40)}`],
  ['{"__proto__":{"x":1}}', '{"__proto__":{"x":1}}'],
  ['{"constructor":{"prototype":{"x":1}}}', '{"constructor":{"prototype":{"x":1}}}'],
];

/** Ids for a path segment, already in URL form: encoded slashes, spaces, NUL, bad encodings, lengths. */
export const ODD_PATH_IDS: readonly string[] = [
  '%2F',
  'a%2Fb',
  '..%2F..%2Fetc%2Fpasswd',
  '%2E%2E',
  '%20',
  'a%20b',
  '+',
  'a+b',
  '%00',
  'a%00b',
  '%0A',
  '%0D%0Ax-injected:%201',
  '%E0%A4%A',
  '%',
  '%zz',
  '%252F',
  '%C0%AE%C0%AE',
  '%F0%9F%98%80',
  '%EF%BB%BFa',
  '%ED%A0%80',
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(101),
  'x'.repeat(1000),
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '-x',
  '_x',
  '.x',
  'nobody-here',
  'a:b',
  'a..b',
  ';x',
  '*',
  '%3F',
  '%23',
  '%22',
  "'",
  '~',
  'agent-1',
  'support',
  'conv-active',
];

export const IF_MATCH_VALUES: readonly string[] = [
  '',
  ' ',
  'abc',
  '"',
  '""',
  'W/',
  'W/""',
  '*',
  '"1", "2"',
  '"-2"',
  '"-1"',
  '"0"',
  '"99999999999999999999"',
  '999999999999999',
  '1e3',
  '0x1',
  '"1.5"',
  '\u00e9',
  '"\u0000"',
  '"1"garbage',
  'x'.repeat(10_000),
  '"' + '9'.repeat(400) + '"',
];

export const IDEMPOTENCY_KEYS: readonly string[] = [
  '',
  ' ',
  'a b',
  'k'.repeat(128),
  'k'.repeat(129),
  'k'.repeat(100_000),
  '\u00e9',
  'a\u0000b',
  '\t',
  '../x',
  '__proto__',
  'constructor',
  '%00',
  '"quoted"',
];

/** percent-encodes a string for a URL, even with lone surrogates (as the UTF-8 bytes they would be). */
export const encodeLoosely = (value: string): string => {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0) as number;
    if (code >= 0xd800 && code <= 0xdfff) {
      out +=
        `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase();
    } else {
      out += encodeURIComponent(char);
    }
  }
  return out;
};

/** A cursor the service would decode: base64url of `{l: list, k: key}`. */
export const cursorOf = (body: unknown): string => Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');

export const ENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** fast-check: odd strings, weighted toward the fixed list. */
export const oddStringArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.stringMatching(ENTITY_ID) },
  { weight: 1, arbitrary: fc.nat({ max: 3000 }).map((n) => 'a'.repeat(n)) },
);

/** fast-check: a raw JSON value of any type, odd strings first. */
export const rawValueArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: oddStringArb.map((s) => JSON.stringify(s)) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_RAW.map(([, raw]) => raw)) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.array(oddStringArb, { maxLength: 5 }).map((a) => JSON.stringify(a)) },
);

/** fast-check: a header value (If-Match, Idempotency-Key): revisions, near-revisions and junk. */
export const headerValueArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...IF_MATCH_VALUES, ...IDEMPOTENCY_KEYS),
  fc.integer({ min: -5, max: 50 }).map((n) => `"${n}"`),
  fc.integer({ min: -5, max: 50 }).map((n) => `W/"${n}"`),
  fc.string({ unit: fc.constantFrom(...'0123456789"W/ -,*.eE'), maxLength: 20 }),
  fc.string({ unit: 'binary-ascii', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** fast-check: a query string (without the `?`) over the route's parameters and others. */
export const queryArb = (names: readonly string[], cursors: fc.Arbitrary<string>): fc.Arbitrary<string> => {
  const key = fc.oneof(
    { weight: 4, arbitrary: names.length > 0 ? fc.constantFrom(...names) : fc.constant('limit') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('__proto__', 'constructor', '__proto__[x]', 'constructor[prototype][x]', 'limit[]', 'limit[a]', 'a.b', ''),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  );
  const value = fc.oneof(
    { weight: 3, arbitrary: oddStringArb },
    { weight: 2, arbitrary: fc.integer().map(String) },
    { weight: 1, arbitrary: fc.double().map(String) },
    { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '2026-03-02T09:00:00Z',
        '2026-03-02T09:00:00+25:00',
        '2026-02-30T00:00:00Z',
        '2026-03-02',
        '2026-03-02T09:00:00',
        '+275760-09-13T00:00:00.000Z',
      ),
    },
    { weight: 2, arbitrary: cursors },
  );
  const pairs = fc
    .array(fc.tuple(key, value, fc.boolean()), { minLength: 1, maxLength: 4 })
    .map((list) => list.map(([k, v, bare]) => (bare && v === '' ? encodeLoosely(k) : `${encodeLoosely(k)}=${encodeLoosely(v)}`)).join('&'));
  const raw = fc.string({ unit: fc.constantFrom(...'ab=&%[]._-0F9+ '), maxLength: 30 }).map((s) => s.replace(/ /g, '%20'));
  return fc.oneof({ weight: 4, arbitrary: pairs }, { weight: 1, arbitrary: raw });
};
