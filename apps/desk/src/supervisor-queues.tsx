import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Api } from './api';
import { formatDuration, formatTime } from './format';
import {
  allPages,
  percent,
  settle,
  useRefreshSlot,
  type BoardRow,
  type KpiWindowName,
  type Loaded,
  type QueueKpisList,
  type QueueOverview,
  type RefreshSlot,
} from './supervisor-data';
import { KpiWindowSwitch } from './supervisor-window';

interface Props {
  api: Api;
  kpiWindow: KpiWindowName;
  onKpiWindow: (name: KpiWindowName) => void;
  slot?: RefreshSlot;
}

/**
 * Queues: each queue's items waiting and in work (GET /api/queues), its longest wait and, over
 * the chosen window, answered, service level and abandoned (GET /api/stats/queues), and the
 * agents serving it, of whom how many are available now (from the capacity board, GET /api/agents).
 */
export const QueuesScreen = ({ api, kpiWindow, onKpiWindow, slot }: Props) => {
  const [queues, setQueues] = useState<Loaded<QueueOverview[]>>({});
  const [stats, setStats] = useState<Loaded<QueueKpisList>>({});
  const [agents, setAgents] = useState<Loaded<BoardRow[]>>({});

  const refresh = useCallback(
    async (minPosition?: number) => {
      const [queuesAnswer, statsAnswer, agentsAnswer] = await Promise.allSettled([
        allPages<QueueOverview>(api, 'queues', minPosition, 200),
        api.get<QueueKpisList>(`stats/queues?window=${kpiWindow}`, minPosition),
        allPages<BoardRow>(api, 'agents', minPosition),
      ]);
      setQueues((previous) => settle(previous, queuesAnswer));
      setStats((previous) => settle(previous, statsAnswer));
      setAgents((previous) => settle(previous, agentsAnswer));
    },
    [api, kpiWindow],
  );
  useRefreshSlot(slot, refresh);
  useEffect(() => {
    void refresh();
  }, [refresh]);

  const kpis = new Map((stats.value?.queues ?? []).map((queue) => [queue.queueId, queue]));
  const serving = (queueId: string) => (agents.value ?? []).filter((agent) => agent.queueIds.includes(queueId));
  const threshold = stats.value?.serviceLevelPolicy.thresholdSeconds;
  const errors = [
    queues.error && `the queues: ${queues.error}`,
    stats.error && `the queue KPIs: ${stats.error}`,
    agents.error && `the agents: ${agents.error}`,
  ].filter(Boolean);

  return (
    <section class="card" aria-labelledby="queues-heading">
      <h2 id="queues-heading">Queues</h2>
      <KpiWindowSwitch kpiWindow={kpiWindow} onKpiWindow={onKpiWindow} />
      {stats.value && (
        <p class="muted summary">
          Answered, service level and abandoned from {formatTime(stats.value.window.from)} to {formatTime(stats.value.window.to)}; service
          level: answered within {threshold} s.
        </p>
      )}
      {errors.length > 0 && <p class="error">Could not load {errors.join('; ')}. Retrying every few seconds.</p>}
      {!queues.value && !queues.error && <p class="muted">Loading…</p>}
      {queues.value && queues.value.length === 0 && <p class="empty">No queues yet: an administrator creates them.</p>}
      {queues.value && queues.value.length > 0 && (
        <div class="table-wrap" role="group" aria-label="Queues table (scrolls sideways)" tabIndex={0}>
          <table>
            <caption class="visually-hidden">Queues by priority</caption>
            <thead>
              <tr>
                <th scope="col">Queue</th>
                <th scope="col">Waiting</th>
                <th scope="col">Longest wait</th>
                <th scope="col">In work</th>
                <th scope="col">Answered</th>
                <th scope="col">Service level</th>
                <th scope="col">Abandoned</th>
                <th scope="col">Agents serving</th>
                <th scope="col">Available</th>
              </tr>
            </thead>
            <tbody>
              {queues.value.map((queue) => {
                const kpi = kpis.get(queue.queueId);
                const agentsOfQueue = serving(queue.queueId);
                const available = agentsOfQueue.filter((agent) => agent.presence === 'available');
                return (
                  <tr key={queue.queueId} data-queue={queue.queueId}>
                    <th scope="row">
                      {queue.name === queue.queueId ? queue.queueId : `${queue.name} (${queue.queueId})`}
                      <span class="tag mode">{queue.mode}</span>
                    </th>
                    <td data-kpi="waiting">
                      {queue.open}
                      {kpi && kpi.awaitingAcceptance > 0 && <span class="muted"> + {kpi.awaitingAcceptance} offered</span>}
                    </td>
                    <td data-kpi="longest-wait">
                      {kpi?.longestWaitSeconds === null || kpi === undefined ? '—' : formatDuration(kpi.longestWaitSeconds * 1000)}
                    </td>
                    <td>{queue.active + queue.waiting + queue.wrap_up}</td>
                    <td>{kpi?.answered ?? '—'}</td>
                    <td>{percent(kpi?.serviceLevel)}</td>
                    <td>
                      {kpi?.abandoned ?? '—'}
                      {kpi?.abandonedRate !== null && kpi?.abandonedRate !== undefined && kpi.abandoned > 0 && (
                        <span class="muted"> ({percent(kpi.abandonedRate)})</span>
                      )}
                    </td>
                    <td data-kpi="serving">{agents.value ? agentsOfQueue.length : queue.agents}</td>
                    <td data-kpi="available">
                      {agents.value ? (
                        <span title={available.map((agent) => agent.agentId).join(', ') || 'nobody'}>{available.length}</span>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
};
