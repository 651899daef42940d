/**
 * Sends fuzz requests one at a time and checks each answer: no 5xx (a 503 READ_MODEL.BEHIND is
 * allowed on a read with minPosition), a refusal writes nothing (the log's head is read around
 * it; nothing else writes while the suite runs), a refusal carries the error filter's body with a
 * stable code and no internals. What breaks a rule is kept with the request that did it.
 */
import type { TestApp } from '../start-app';
import type { FuzzRequest } from './requests';
import { principalClaimedBy } from '../test-principal';

export interface Finding {
  request: FuzzRequest;
  status: number;
  answer: string;
  detail?: string;
}

/** The error filter's codes: `REQUEST.INVALID_FIELD`, `ROUTE.NOT_FOUND`, `HTTP.405`, ... */
export const STABLE_CODE = /^[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)+$/;
const INTERNALS = /(\n\s+at |node_modules|\/work\/|\.ts:\d+|\.js:\d+)/;

const excerpt = (value: string, max = 160): string =>
  value.length <= max ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, max))}…(${value.length} chars)`;

/** One line that replays the request with curl-like precision. */
export const reproducer = (finding: Finding): string => {
  const { request } = finding;
  const headers = Object.entries(request.headers).map(([k, v]) => `${k}: ${excerpt(Array.isArray(v) ? v.join(' | ') : v, 60)}`);
  const payload =
    request.payload === undefined
      ? ''
      : Buffer.isBuffer(request.payload)
        ? ` body=<bytes ${request.payload.subarray(0, 40).toString('hex')}>`
        : ` body=${excerpt(request.payload)}`;
  return (
    `${request.method} ${excerpt(request.url, 120)} [${request.kind}]` +
    (headers.length > 0 ? ` {${headers.join(', ')}}` : '') +
    `${payload} => ${finding.status} ${excerpt(finding.answer, 240)}` +
    (finding.detail ? ` (${finding.detail})` : '')
  );
};

/**
 * Findings grouped by status, code and kind of damage (across routes): one reproducer per
 * group, with how many requests and routes it covers.
 */
export const summarise = (findings: Finding[], max = 40): string[] => {
  const groups = new Map<string, { count: number; routes: Set<string>; first: Finding }>();
  for (const finding of findings) {
    const code = /"code":"([^"]+)"/.exec(finding.answer)?.[1] ?? '-';
    const family = finding.request.kind.replace(/=.*$/, '');
    const key = `${finding.status} ${code} ${family} ${finding.detail?.replace(/\d+/g, 'n') ?? ''}`;
    const group = groups.get(key) ?? { count: 0, routes: new Set<string>(), first: finding };
    group.count++;
    group.routes.add(finding.request.route);
    groups.set(key, group);
  }
  const lines = [...groups.values()].map(({ count, routes, first }) => `${count}× on ${routes.size} route(s), e.g. ${reproducer(first)}`);
  return lines.length > max ? [...lines.slice(0, max), `… and ${lines.length - max} more groups`] : lines;
};

export class FuzzRunner {
  requests = 0;
  refusals = 0;
  successes = 0;
  /** Events written by accepted requests (the world moves on; only refusals must not write). */
  eventsWrittenByAccepted = 0;
  behind503 = 0;
  readonly perRoute = new Map<string, number>();
  readonly statuses = new Map<number, number>();
  readonly serverErrors: Finding[] = [];
  readonly refusalsThatWrote: Finding[] = [];
  /** A refusal whose body has no `code` at all. */
  readonly refusalsWithoutCode: Finding[] = [];
  /** A refusal with a code, but not the error filter's body (`statusCode`, a code like `REQUEST.MALFORMED`, `message`). */
  readonly refusalsOutsideErrorModel: Finding[] = [];
  readonly leaks: Finding[] = [];
  readonly crashes: Finding[] = [];
  readonly acceptedMalformed: Finding[] = [];

  constructor(private readonly t: TestApp) {}

  /**
   * Signed as the principal the body claims (with every role), so the malformed input reaches
   * validation and the domain rather than stopping at authentication; a request that brings its
   * own Authorization header keeps it.
   */
  private async signed(request: FuzzRequest): Promise<FuzzRequest['headers']> {
    if (Object.keys(request.headers).some((name) => name.toLowerCase() === 'authorization')) return request.headers;
    let body: unknown;
    try {
      body =
        typeof request.payload === 'string' ? JSON.parse(request.payload) : Buffer.isBuffer(request.payload) ? undefined : request.payload;
    } catch {
      body = undefined;
    }
    const { sub, roles } = principalClaimedBy(request.url.split('?')[0], body);
    return { ...request.headers, authorization: `Bearer ${await this.t.token(sub, roles)}` };
  }

  async send(given: FuzzRequest): Promise<void> {
    const request = asCatchUpRead(given);
    this.requests++;
    this.perRoute.set(request.route, (this.perRoute.get(request.route) ?? 0) + 1);
    const before = await this.t.store.headPosition();
    let status: number;
    let text: string;
    try {
      const response = await this.t.app.inject({
        method: request.method,
        url: request.url,
        headers: await this.signed(request),
        ...(request.payload === undefined ? {} : { payload: request.payload }),
      });
      status = response.statusCode;
      text = response.body;
    } catch (error) {
      this.crashes.push({ request, status: 0, answer: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      return;
    }
    const after = await this.t.store.headPosition();
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    const finding = (detail?: string): Finding => ({ request, status, answer: text, detail });

    if (status >= 500) {
      const readBehind = status === 503 && /"code":"READ_MODEL\.BEHIND"/.test(text) && /[?&]minPosition=/.test(request.url);
      if (readBehind) this.behind503++;
      else this.serverErrors.push(finding());
    }
    if (status < 400) {
      this.successes++;
      this.eventsWrittenByAccepted += after - before;
      if (request.malformed && status >= 200 && status < 300) this.acceptedMalformed.push(finding());
      return;
    }
    this.refusals++;
    if (status < 500 && after !== before) this.refusalsThatWrote.push(finding(`head ${before} -> ${after}`));
    if (request.method === 'HEAD') return; // no body to a HEAD
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const code = record.code;
    if (typeof code !== 'string' || code === '') {
      this.refusalsWithoutCode.push(finding('no code'));
    } else if (!STABLE_CODE.test(code) || record.statusCode !== status || typeof record.message !== 'string') {
      this.refusalsOutsideErrorModel.push(finding(`code ${code}`));
    }
    if (INTERNALS.test(text)) this.leaks.push(finding());
  }
}

/**
 * The event streams (/api/events, /api/changes) stay open by design (they follow the log), and an in-process request waits
 * for the end of its answer: read it as a catch-up (follow=false), also when the request asks to
 * follow. Any other value of `follow` is left as fuzzed (and refused).
 */
const STREAMS = ['/api/events', '/api/changes'];

const asCatchUpRead = (request: FuzzRequest): FuzzRequest => {
  // A fragment (`#x`) ends the query: the parameter goes before it.
  const hash = request.url.indexOf('#');
  const [target, fragment] = hash === -1 ? [request.url, ''] : [request.url.slice(0, hash), request.url.slice(hash)];
  const [path, query = ''] = target.split('?');
  if (!STREAMS.includes(path.replace(/\/+$/, ''))) return request;
  const params = query.split('&').filter((part) => part !== '' && part !== 'follow=true');
  if (!params.some((part) => part.startsWith('follow='))) params.push('follow=false');
  return { ...request, url: `${path}?${params.join('&')}${fragment}` };
};
