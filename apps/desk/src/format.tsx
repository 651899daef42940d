/** How times, durations and the service's names read on screen. Times are in the browser's time zone. */

const sameDay = (a: Date, b: Date) => a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateAndTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });

/** A time of today as its time of day, another day's with its date. */
export const formatTime = (iso: string, now: Date = new Date()): string => {
  const at = new Date(iso);
  return sameDay(at, now) ? timeOfDay.format(at) : dateAndTime.format(at);
};

/** The full date, time and zone (a tooltip). */
export const formatFullTime = (iso: string): string => full.format(new Date(iso));

/** 45 s, 12 min, 3 h 5 min, 2 d 4 h. */
export const formatDuration = (ms: number): string => {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
};

export const since = (iso: string, now: number): string => formatDuration(now - Date.parse(iso));

const STATUS: Record<string, string> = { open: 'Open', active: 'Active', waiting: 'Waiting', wrap_up: 'Wrap-up', closed: 'Closed' };
export const statusLabel = (status: string): string => STATUS[status] ?? status;

const CHANNEL: Record<string, string> = {
  live_chat: 'Live chat',
  persistent_chat: 'Persistent chat',
  sms: 'SMS',
  social: 'Social',
  teams: 'Teams',
  voice: 'Voice',
  record: 'Record',
};
export const channelLabel = (channel: string): string => CHANNEL[channel] ?? channel;

const PRESENCE: Record<string, string> = {
  available: 'Available',
  busy: 'Busy',
  busy_dnd: 'Do not disturb',
  away: 'Away',
  offline: 'Offline',
};
export const presenceLabel = (presence: string): string => PRESENCE[presence] ?? presence;

export const actorLabel = (actor: { kind: string; id: string }): string => `${actor.kind} ${actor.id}`;

/** `agent_closed_session_after_wrap_up` reads "agent closed session after wrap up". */
export const reasonLabel = (reason: string): string => reason.replace(/_/g, ' ');

/** `ConversationWrapUpCompleted` reads "Wrap up completed". */
export const eventLabel = (type: string): string => {
  const words = type
    .replace(/^Conversation/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};
