export const CHANNELS = ['live_chat', 'persistent_chat', 'sms', 'social', 'teams', 'voice', 'record'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Asynchronous messaging channels: the only ones that can be parked in `waiting`. */
export const ASYNC_CHANNELS: readonly Channel[] = ['persistent_chat', 'sms', 'social', 'teams'];

export const isChannel = (value: unknown): value is Channel => CHANNELS.includes(value as Channel);
export const isAsyncChannel = (channel: Channel): boolean => ASYNC_CHANNELS.includes(channel);
export const isLiveChat = (channel: Channel): boolean => channel === 'live_chat';
export const isRecord = (channel: Channel): boolean => channel === 'record';
