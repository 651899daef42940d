import { ENTITY_ID_PATTERN } from '@lib/domain';
import { type Role, readSigningKey, type SigningKey, issueToken, ROLES } from '@lib/platform';

export interface TestPrincipal {
  sub: string;
  roles: readonly Role[];
}

/** Holds every role: suites written before identity act through it, under whichever role the route needs. */
export const ALL_ROLES: readonly Role[] = ROLES;
export const TEST_OPERATOR = 'test-operator';

const AGENT_PATH = /^\/api\/agents\/([^/?]+)\/presence$/;

/**
 * Suites written before identity name the acting agent or supervisor in the body, as the API
 * then required. The harness signs each of their requests as exactly that principal (with
 * every role), so the service's rule "the actor is the token's sub" holds and their
 * expectations stay as they were. Suites about identity pass their own Authorization header.
 */
export const principalClaimedBy = (path: string, body: unknown): TestPrincipal => {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  // A malformed id cannot be a token's sub: such a request is signed as the operator, and its body refused as it was.
  const named = [fields.supervisorId, fields.agentId, fields.consultantId].find(
    (value): value is string => typeof value === 'string' && ENTITY_ID_PATTERN.test(value),
  );
  const presenceOf = AGENT_PATH.exec(path)?.[1];
  const isOpenOrAgentAdmin = path === '/api/agents' || path === '/api/queues';
  const presenceAgent = presenceOf !== undefined && ENTITY_ID_PATTERN.test(presenceOf) ? presenceOf : undefined;
  return { sub: presenceAgent ?? (isOpenOrAgentAdmin ? TEST_OPERATOR : (named ?? TEST_OPERATOR)), roles: ALL_ROLES };
};

const keys = new Map<string, Promise<SigningKey | undefined>>();

/**
 * For a service running as its own process on DATA_DIR: an Authorization header signed with
 * the key that service created there, as the principal the body claims. Read once per
 * directory (the service creates the key at its first start).
 */
export const claimedAuthorization = async (dataDir: string, path: string, body: unknown): Promise<Record<string, string>> => {
  let key = await (keys.get(dataDir) ?? Promise.resolve(undefined));
  if (!key) {
    const reading = readSigningKey(dataDir);
    keys.set(dataDir, reading);
    key = await reading;
  }
  if (!key) {
    keys.delete(dataDir);
    throw new Error(`No signing key in ${dataDir} yet: start the service first`);
  }
  const { sub, roles } = principalClaimedBy(path.split('?')[0], body);
  return { authorization: `Bearer ${await issueToken(key, { sub, roles, ttlMs: 3_600_000 })}` };
};
