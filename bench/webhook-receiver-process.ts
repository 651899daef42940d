import { createServer } from 'node:http';

/**
 * The benchmark's webhook receiver, in a process of its own (as a receiver is another system):
 * records the first arrival of every event id with the event's time, answers 204, and hands the
 * records to the parent when asked (IPC message `report`).
 */
const arrivals: Array<[id: string, at: string, receivedAt: number]> = [];
const seen = new Set<string>();

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const receivedAt = Date.now();
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; at: string };
    if (!seen.has(body.id)) {
      seen.add(body.id);
      arrivals.push([body.id, body.at, receivedAt]);
    }
    response.writeHead(204).end();
  });
});

process.on('message', (message: unknown) => {
  if (message === 'count') process.send?.({ count: seen.size });
  if (message === 'report') process.send?.({ arrivals });
  if (message === 'stop') server.close(() => process.exit(0));
});

server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as { port: number }).port });
});
