import { Option, type Command } from 'commander';

/**
 * Option values for commander, checked as they are read: a repeated option, a missing value or
 * a malformed one is an error naming the option, so a typo never runs with defaults. The errors
 * are plain Errors, not commander's InvalidArgumentError, so they reach the CLI's one error
 * handler and print as the command's own refusals do (the message alone, exit code 1).
 */
const once =
  <T>(name: string, parse: (text: string) => T) =>
  (text: string, previous: T | undefined): T => {
    if (previous !== undefined) throw new Error(`--${name} is given twice`);
    if (text.startsWith('--')) throw new Error(`--${name} needs a value`);
    return parse(text);
  };

/** `--name <value>`: any text. */
export const stringOption = (name: string, description: string): Option =>
  new Option(`--${name} <value>`, description).argParser(once(name, (text) => text));

/** `--name <n>`: a whole number. */
export const integerOption = (name: string, description: string): Option =>
  new Option(`--${name} <n>`, description).argParser(
    once(name, (text) => {
      const value = Number(text);
      if (!Number.isSafeInteger(value)) throw new Error(`--${name} must be a whole number, got ${text}`);
      return value;
    }),
  );

/** `--name <time>`: an ISO-8601 time with a UTC offset, given back in UTC (`toISOString`). */
export const timeOption = (name: string, description: string): Option =>
  new Option(`--${name} <time>`, description).argParser(
    once(name, (text) => {
      if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(text) || Number.isNaN(Date.parse(text))) {
        throw new Error(`--${name} must be an ISO-8601 time with a UTC offset, such as 2026-11-20T08:00:00Z; got ${text}`);
      }
      return new Date(Date.parse(text)).toISOString();
    }),
  );

/**
 * Commands take options only. Their commander commands let unknown options and operands through
 * (allowUnknownOption, allowExcessArguments) so that this refuses them in the CLI's words: the
 * unknown option and the known ones, or the stray arguments of a command that takes none.
 */
export const rejectLeftovers = (command: Command): void => {
  const leftovers = command.args;
  if (leftovers.length === 0) return;
  const known = command.options.map((option) => option.long).filter((flag): flag is string => flag !== undefined && flag !== '--help');
  if (known.length === 0) throw new Error(`${command.name()} takes no arguments, got: ${leftovers.join(' ')}`);
  throw new Error(`unknown option ${leftovers[0]}; known: ${known.join(', ')}`);
};
