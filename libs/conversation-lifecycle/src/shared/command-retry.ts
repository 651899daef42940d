import type { CommandLoopPolicy } from './command-loop';

export const COMMAND_RETRY = Symbol('COMMAND_RETRY');

/** How every command loop retries a lost race, and how many conversations this process keeps. */
export interface CommandRetryPolicy {
  maxAttempts: number;
  /** Upper bound of the random pause before attempt n is n * this. */
  baseDelayMs: number;
  /** How many conversations' state this process keeps between commands. */
  cachedConversations: number;
}

export const DEFAULT_COMMAND_RETRY: CommandRetryPolicy = { maxAttempts: 10, baseDelayMs: 5, cachedConversations: 10_000 };

export const loopPolicy = (retry: CommandRetryPolicy, cachedStreams: number): CommandLoopPolicy => ({
  maxAttempts: retry.maxAttempts,
  baseDelayMs: retry.baseDelayMs,
  cachedStreams,
});
