import 'reflect-metadata';
import { Command, type CommanderError } from 'commander';
import { integerOption, rejectLeftovers, stringOption, timeOption } from './cli-options';
import { loginLinkCommand } from './login-link.command';
import { queueViewCommand } from './queue-view.command';
import { rebuildCommand } from './rebuild.command';
import { reportCommand } from './report.command';
import { seedCommand } from './seed.command';
import { tokenCommand } from './token.command';
import { ROLES } from '@lib/platform';

/** Exit code of a usage error: no command, or one that does not exist. */
const USAGE_ERROR = 2;

/** Operator commands that run beside the service, on the same configuration (environment). */
const cli = (): Command => {
  const program = new Command()
    .name('npm run cli --')
    .usage('<command> [options]')
    .description('Operator commands that run beside the service, on the same configuration (environment).')
    // Standard output carries only what a command produces (a report, a token): help goes to stderr.
    .configureOutput({ writeOut: (text) => process.stderr.write(text) })
    .exitOverride((error: CommanderError) => {
      // Commander exits 1 when a command is missing and help is shown instead: that is a usage error.
      process.exit(error.code === 'commander.help' && error.exitCode !== 0 ? USAGE_ERROR : error.exitCode);
    })
    .addHelpText('after', '\nConfiguration comes from the same environment variables as the service (DATA_DIR, READ_MODELS_URL, ...).');

  /** A command refusing what it does not know in its own words (rejectLeftovers), before it runs. */
  const command = (name: string, description: string) =>
    program.command(name).description(description).allowUnknownOption().allowExcessArguments();

  command('rebuild', 'rebuild every read model from the event log and swap it in').action(() => rebuildCommand());
  command('report', 'replay the log into a report (CSV of conversations or aggregates, JSON with both, or HTML with charts)')
    .addOption(timeOption('from', 'first time included, such as 2026-11-20T00:00:00Z'))
    .addOption(timeOption('to', 'first time not included'))
    .addOption(stringOption('format', 'csv, json or html (a page with charts; default: csv)'))
    .addOption(stringOption('out', 'file to write (default: standard output)'))
    .addOption(stringOption('table', 'CSV table: conversations or aggregates (default: conversations)'))
    .addOption(integerOption('agent-capacity', 'concurrent conversations per agent, for occupancy (default: 1)'))
    .action((options) => reportCommand(options));
  command('queue-view', 'print the queues as they stood at a past time')
    .addOption(timeOption('as-of', 'the time, such as 2026-11-20T12:00:00Z (required)'))
    .addOption(stringOption('queue', 'one queue only (default: every queue)'))
    .addOption(stringOption('format', 'text or json (default: text)'))
    .action((options) => queueViewCommand(options));
  command('seed', 'write a simulated day of demo conversations into an empty log')
    .addOption(integerOption('conversations', 'how many, 1 to 100000 (default: 300)'))
    .addOption(integerOption('seed', 'the same seed makes the same day (default: 42)'))
    .addOption(timeOption('start', 'when the day starts (default: 2026-11-20T08:00:00Z)'))
    .action((options) => seedCommand(options));
  command('token', 'print a bearer token signed by the embedded key')
    .addOption(stringOption('sub', "the principal's id (an agent's id for the agent role; required)"))
    .addOption(stringOption('roles', `comma-separated: ${ROLES.join(', ')} (required)`))
    .addOption(stringOption('ttl', 'lifetime, 1s to 30d (default: 8h)'))
    .action((options) => tokenCommand(options));
  command('login-link', 'print a link that opens the desk signed in (the token rides in the URL fragment)')
    .addOption(stringOption('sub', "the principal's id (an agent's id for the agent role; required)"))
    .addOption(stringOption('roles', `comma-separated: ${ROLES.join(', ')} (required)`))
    .addOption(stringOption('ttl', 'lifetime, 1s to 30d (default: 8h)'))
    .addOption(stringOption('base-url', 'where the desk is served (default: http://localhost:$PORT)'))
    .action((options) => loginLinkCommand(options));

  program.hook('preAction', (_program, actionCommand) => rejectLeftovers(actionCommand));
  // Set after the commands so they do not inherit it: only an unknown command shows the usage.
  program.showHelpAfterError();
  program.on('command:*', ([name]: string[]) => {
    program.error(`unknown command "${name}"`, { exitCode: USAGE_ERROR, code: 'commander.unknownCommand' });
  });
  return program;
};

cli()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
