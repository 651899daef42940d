'use strict';
/**
 * Child process for the durability test: appends through SqliteEventStore, ten concurrent
 * appends per round so they share a group commit, and prints the id of every event whose
 * append has been acknowledged. The parent kills it with SIGKILL at an arbitrary moment.
 *
 * Usage: node durable-appender.js <database file>
 */
require('./register-typescript');
const { randomUUID } = require('node:crypto');
const { SqliteEventStore } = require('../sqlite-event-store');

const APPENDS_PER_ROUND = 10;
// If the parent never kills us (it crashed), do not outlive it by much.
setTimeout(() => process.exit(2), 30_000).unref();

async function appendForever(filename) {
  const store = new SqliteEventStore({ filename });
  for (let round = 0; ; round++) {
    await Promise.all(
      Array.from({ length: APPENDS_PER_ROUND }, async (_, index) => {
        const event = { id: randomUUID(), type: 'DurabilityProbed', data: { round, index } };
        await store.appendToStream(`durability-${index}`, [event], { expectedRevision: 'any' });
        process.stdout.write(`${event.id}\n`);
      }),
    );
  }
}

appendForever(process.argv[2]).catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exit(1);
});
