import 'reflect-metadata';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { plainToInstance } from 'class-transformer';
import { IsString, Matches, validateSync } from 'class-validator';
import { importJWK, type JWK, type KeyLike } from 'jose';
import { readAuthConfig, EMBEDDED_ALGORITHM } from '@lib/platform';
import { TokenVerifier } from '../apps/api/src/auth/token-verifier';

/**
 * The yardstick: a bare Fastify route that validates the same kind of body with
 * class-validator and answers JSON, with no framework, bus or store behind it.
 */
class AgentBody {
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/)
  agentId!: string;
}

const app = Fastify({ bodyLimit: 65536 });
const pick = async (request: FastifyRequest, reply: FastifyReply) => {
  const body = plainToInstance(AgentBody, request.body ?? {});
  const errors = validateSync(body, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) return reply.status(400).send({ code: 'REQUEST.INVALID_FIELD' });
  const { id } = request.params as { id: string };
  return { id, status: 'active', revision: 1 };
};

/**
 * The yardstick of the read routes: a GET answering a small JSON document read from a Map,
 * with no framework, bus or store behind it.
 */
const bareItems = new Map(
  Array.from({ length: 1000 }, (_, i) => [`c-${i}`, { id: `c-${i}`, status: 'open', queueId: 'q-0', priority: 0, revision: 0 }]),
);
const item = async (request: FastifyRequest) => bareItems.get((request.params as { id: string }).id) ?? { id: 'c-0', status: 'none' };

/**
 * The same routes behind the service's own token check (TokenVerifier, the embedded Ed25519
 * key): the difference between the two is what verifying a bearer token costs per request.
 */
const verifierReady = (async () => {
  const jwk = process.env.BENCH_PUBLIC_JWK;
  if (!jwk) return undefined;
  const publicKey = (await importJWK(JSON.parse(jwk) as JWK, EMBEDDED_ALGORITHM)) as KeyLike;
  return new TokenVerifier(readAuthConfig({}), { kid: 'bench', privateKey: publicKey, publicKey });
})();
const verifyToken = async (request: FastifyRequest, reply: FastifyReply) => {
  const verifier = await verifierReady;
  if (!verifier) return reply.status(500).send({ code: 'NO_KEY' });
  try {
    await verifier.verify(request.headers.authorization);
  } catch {
    return reply.status(401).send({ code: 'AUTH.INVALID_TOKEN' });
  }
};

app.post('/bare/:id/pick', pick);
app.post('/bare-auth/:id/pick', { preHandler: verifyToken }, pick);
app.get('/bare/:id', item);
app.get('/bare-auth/:id', { preHandler: verifyToken }, item);

app.listen({ port: Number(process.env.PORT ?? 3201), host: '127.0.0.1' }).then(() => console.log('ready'));
