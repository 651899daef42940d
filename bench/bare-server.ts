import 'reflect-metadata';
import Fastify from 'fastify';
import { plainToInstance } from 'class-transformer';
import { IsString, Matches, validateSync } from 'class-validator';

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
app.post('/bare/:id/pick', async (request, reply) => {
  const body = plainToInstance(AgentBody, request.body ?? {});
  const errors = validateSync(body, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) return reply.status(400).send({ code: 'REQUEST.INVALID_FIELD' });
  const { id } = request.params as { id: string };
  return { id, status: 'active', revision: 1 };
});

app.listen({ port: Number(process.env.PORT ?? 3201), host: '127.0.0.1' }).then(() => console.log('ready'));
