import { CHANNELS, type Channel } from '../conversation/conversation.channel';

/**
 * How long a conversation in wrap-up keeps blocking its agent's capacity: until it is closed,
 * not at all, or a fixed time from the start of wrap-up (30 s to 60 min).
 */
export type WrapUpCapacityBlock = { kind: 'always' } | { kind: 'never' } | { kind: 'fixed'; ms: number };

export const MIN_FIXED_WRAP_UP_BLOCK_MS = 30_000;
export const MAX_FIXED_WRAP_UP_BLOCK_MS = 60 * 60_000;

/** Configuration the agent decider needs: what each channel costs and how its wrap-up blocks. */
export interface CapacityPolicy {
  unitsPerConversation: Record<Channel, number>;
  wrapUpBlock: Record<Channel, WrapUpCapacityBlock>;
}

const perChannel = <T>(value: () => T): Record<Channel, T> =>
  Object.fromEntries(CHANNELS.map((channel) => [channel, value()])) as Record<Channel, T>;

export const DEFAULT_CAPACITY_POLICY: CapacityPolicy = {
  unitsPerConversation: perChannel(() => 1),
  wrapUpBlock: perChannel((): WrapUpCapacityBlock => ({ kind: 'always' })),
};
