export const PRESENCES = ['available', 'busy', 'busy_dnd', 'away', 'offline'] as const;
export type Presence = (typeof PRESENCES)[number];

export const isPresence = (value: unknown): value is Presence => PRESENCES.includes(value as Presence);

/**
 * Why capacity is being taken, which decides what the agent must satisfy:
 * - `pick`: the agent takes it from a queue they serve;
 * - `push`: routing offers it to them;
 * - `transfer`: another agent hands it over;
 * - `revive`: the agent takes back a waiting item of their own;
 * - `forced`: a supervisor assigns it regardless of presence and capacity (recorded as forced).
 */
export const RESERVATION_PURPOSES = ['pick', 'push', 'transfer', 'revive', 'forced'] as const;
export type ReservationPurpose = (typeof RESERVATION_PURPOSES)[number];

/**
 * Presences in which each kind of work may reach the agent. Routing never pushes to someone
 * who asked not to be disturbed, is away or offline; an agent may still pick or take over
 * work themselves while busy or in do-not-disturb, but not while away or offline.
 */
const ALLOWED_PRESENCES: Record<Exclude<ReservationPurpose, 'forced'>, readonly Presence[]> = {
  push: ['available', 'busy'],
  pick: ['available', 'busy', 'busy_dnd'],
  transfer: ['available', 'busy', 'busy_dnd'],
  revive: ['available', 'busy', 'busy_dnd'],
};

export const presencesAllowing = (purpose: ReservationPurpose): readonly Presence[] =>
  purpose === 'forced' ? PRESENCES : ALLOWED_PRESENCES[purpose];

export const presenceAllows = (presence: Presence, purpose: ReservationPurpose): boolean => presencesAllowing(purpose).includes(presence);
