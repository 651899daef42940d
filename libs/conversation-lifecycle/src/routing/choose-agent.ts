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
  const ordered = [...eligible].sort(
    (a, b) =>
      (method === 'highest_free_capacity' ? b.free - a.free : 0) ||
      byLeastRecentlyAssigned(a, b) ||
      (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0),
  );
  return ordered[0];
};
