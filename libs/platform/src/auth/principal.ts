/** The roles a principal may hold (several at once); each decides what it may do (apps/api/src/auth/permissions.ts). */
export const ROLES = ['channel', 'agent', 'supervisor', 'admin', 'integration'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => ROLES.includes(value as Role);

/** Who the credentials say is calling: `id` is the token's `sub` (for an agent, its agent id). */
export interface Principal {
  id: string;
  roles: readonly Role[];
}
