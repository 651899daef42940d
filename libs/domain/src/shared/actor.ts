/**
 * Who made a change happen. `system` ids name the component or policy (`routing`, `auto-close`);
 * `admin` is whoever configures queues and agents.
 */
export type ActorKind = 'agent' | 'customer' | 'supervisor' | 'admin' | 'system';

export interface Actor {
  kind: ActorKind;
  id: string;
}

export const agent = (id: string): Actor => ({ kind: 'agent', id });
export const customer = (id: string): Actor => ({ kind: 'customer', id });
export const supervisor = (id: string): Actor => ({ kind: 'supervisor', id });
export const admin = (id: string): Actor => ({ kind: 'admin', id });
export const system = (id: string): Actor => ({ kind: 'system', id });
