import type { AssignmentMethod } from '@lib/domain';
import type { RoutableAgent } from './routing-views';

/**
 * Never assigned sorts before any time; then earlier times first. Assignments of the running
 * pass all happen at the pass's time, so their order within the pass decides among them.
 */
const byLeastRecentlyAssigned = (a: RoutableAgent, b: RoutableAgent): number => {
  if (a.assignedInPass !== undefined || b.assignedInPass !== undefined) {
    return (a.assignedInPass ?? -1) - (b.assignedInPass ?? -1);
  }
  if (a.lastAssignedAt === b.lastAssignedAt) return 0;
  if (a.lastAssignedAt === undefined) return -1;
  if (b.lastAssignedAt === undefined) return 1;
  return Date.parse(a.lastAssignedAt) - Date.parse(b.lastAssignedAt);
};

/**
 * The queue's assignment method among eligible agents: the most free capacity with the least
 * recently assigned breaking ties, or round robin (least recently assigned). The agent id
 * breaks what is left, so the choice is the same on every instance.
 */
export const chooseAgent = (method: AssignmentMethod, eligible: readonly RoutableAgent[]): RoutableAgent | undefined => {
  const before = (a: RoutableAgent, b: RoutableAgent): number =>
    (method === 'highest_free_capacity' ? b.free - a.free : 0) ||
    byLeastRecentlyAssigned(a, b) ||
    (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0);
  // The first of the order, found in one scan: a pass chooses for each of its items among
  // every agent of the queue (thousands), so sorting them all each time was the pass's cost.
  let chosen: RoutableAgent | undefined;
  for (const agent of eligible) if (chosen === undefined || before(agent, chosen) < 0) chosen = agent;
  return chosen;
};
