import 'reflect-metadata';
import { queueViewCommand } from './queue-view.command';
import { rebuildCommand } from './rebuild.command';
import { reportCommand } from './report.command';
import { seedCommand } from './seed.command';
import { tokenCommand } from './token.command';

/** Operator commands that run beside the service, on the same configuration (environment). */
const COMMANDS: Record<string, { summary: string; run(args: string[]): Promise<void> }> = {
  rebuild: { summary: 'rebuild every read model from the event log and swap it in', run: rebuildCommand },
  report: {
    summary: 'replay the log into a report (--from, --to, --format csv|json, --out, --table, --agent-capacity)',
    run: (args) => reportCommand(args),
  },
  'queue-view': { summary: 'print the queues as they stood at a past time (--as-of, --queue, --format)', run: queueViewCommand },
  seed: { summary: 'write a simulated day of demo conversations into an empty log (--conversations 300 --seed 42)', run: seedCommand },
  token: { summary: 'print a bearer token signed by the embedded key (--sub a-1 --roles agent[,supervisor] --ttl 8h)', run: tokenCommand },
};

const usage = () =>
  `usage: npm run cli -- <command>\n\ncommands:\n${Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
    .join('\n')}\n\nConfiguration comes from the same environment variables as the service (DATA_DIR, READ_MODELS_URL, ...).`;

const main = async () => {
  const [name, ...args] = process.argv.slice(2);
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    console.error(name === undefined || name === '--help' ? usage() : `unknown command "${name}"\n\n${usage()}`);
    process.exit(name === '--help' ? 0 : 2);
  }
  await command.run(args);
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
