import type { ActorKind } from './actor';

/** Ids of conversations, agents, queues, customers and supervisors: URL- and stream-name-safe, 1 to 64 characters. */
export const ENTITY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
export const ENTITY_ID_RULE = 'must be 1-64 characters: letters, digits, and _ . : - (not first)';

export type InvalidCommandCode = 'CONVERSATION.INVALID_COMMAND' | 'AGENT.INVALID_COMMAND' | 'QUEUE.INVALID_COMMAND';

/**
 * A command whose data the domain cannot record: a wrong type, a value outside its set or
 * range, a malformed id. Raised before anything is decided, whatever the entry point (HTTP,
 * CLI, timers, routing), so no event that a view or evolve could not apply reaches the log.
 */
export class InvalidCommandError extends Error {
  constructor(
    readonly code: InvalidCommandCode,
    readonly commandType: string,
    readonly field: string,
    readonly rule: string,
    readonly value: unknown,
  ) {
    super(`${commandType}: ${field} ${rule} (got ${describeValue(value)})`);
    this.name = 'InvalidCommandError';
  }
}

const describeValue = (value: unknown): string => {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
};

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const ACTOR_KINDS: Record<ActorKind, true> = { agent: true, customer: true, supervisor: true, admin: true, system: true };

/**
 * Checks one command's fields, naming the first that is wrong. Each check returns the value
 * narrowed, so a validation table reads like the command's type.
 */
export class CommandChecks {
  constructor(
    private readonly code: InvalidCommandCode,
    private readonly commandType: string,
  ) {}

  fail(field: string, rule: string, value: unknown): never {
    throw new InvalidCommandError(this.code, this.commandType, field, rule, value);
  }

  record(value: unknown, field: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'must be an object', value);
    return value as Record<string, unknown>;
  }

  id(value: unknown, field: string): string {
    if (typeof value !== 'string' || !ENTITY_ID_PATTERN.test(value)) this.fail(field, ENTITY_ID_RULE, value);
    return value;
  }

  text(value: unknown, field: string, maxLength: number): string {
    if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
      this.fail(field, `must be a string of 1-${maxLength} characters`, value);
    }
    return value;
  }

  oneOf<T extends string>(value: unknown, field: string, choices: readonly T[]): T {
    if (typeof value !== 'string' || !choices.includes(value as T)) this.fail(field, `must be one of ${choices.join(', ')}`, value);
    return value as T;
  }

  integer(value: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `must be an integer from ${min} to ${max}`, value);
    }
    return value;
  }

  boolean(value: unknown, field: string): boolean {
    if (typeof value !== 'boolean') this.fail(field, 'must be true or false', value);
    return value;
  }

  time(value: unknown, field: string): string {
    if (typeof value !== 'string' || !ISO_TIME.test(value) || Number.isNaN(Date.parse(value))) {
      this.fail(field, 'must be an ISO-8601 time with a UTC offset', value);
    }
    return value;
  }

  actor(value: unknown, field: string): void {
    const actor = this.record(value, field);
    if (typeof actor.kind !== 'string' || !Object.prototype.hasOwnProperty.call(ACTOR_KINDS, actor.kind)) {
      this.fail(`${field}.kind`, `must be one of ${Object.keys(ACTOR_KINDS).join(', ')}`, actor.kind);
    }
    this.id(actor.id, `${field}.id`);
  }

  /** Absent is allowed; present means valid (null is not "absent"). */
  optional<T>(value: unknown, check: (value: unknown) => T): T | undefined {
    return value === undefined ? undefined : check(value);
  }

  /** Every command carries the time it was decided at. */
  metadata(metadata: unknown): void {
    this.time(this.record(metadata, 'metadata').now, 'metadata.now');
  }
}

/** How one command type's data is checked. */
export type DataCheck = (data: Record<string, unknown>, check: CommandChecks) => void;

/**
 * Checks a command against its aggregate's table (one row per command type): a known type, a
 * valid time, and the data its row asks for.
 */
export const validateByTable = <Type extends string>(
  code: InvalidCommandCode,
  table: Record<Type, DataCheck>,
  command: { type: Type; data: unknown; metadata: unknown },
): void => {
  const type: unknown = (command as { type?: unknown }).type;
  const check = new CommandChecks(code, String(type));
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(table, type)) {
    check.fail('type', `must be one of ${Object.keys(table).join(', ')}`, type);
  }
  check.metadata(command.metadata);
  table[type as Type](check.record(command.data, 'data'), check);
};
