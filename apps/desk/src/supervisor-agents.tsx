import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Api } from './api';
import { formatDuration, formatFullTime, presenceLabel, since } from './format';
import {
  allPages,
  percent,
  settle,
  useRefreshSlot,
  type AgentKpis,
  type BoardRow,
  type KpiWindowName,
  type Loaded,
  type RefreshSlot,
} from './supervisor-data';
import { supervisorConversationHref } from './supervisor-routes';
import { KpiWindowSwitch } from './supervisor-window';

interface Props {
  api: Api;
  kpiWindow: KpiWindowName;
  onKpiWindow: (name: KpiWindowName) => void;
  slot?: RefreshSlot;
}

/**
 * The capacity board (GET /api/agents): every agent with presence, used / blocked by wrap-up /
 * free of its capacity, and whether forced assignments put it over; joined with its KPIs over the
 * chosen window (GET /api/stats/agents): occupancy, items handled, mean handle time.
 */
export const CapacityBoard = ({ api, kpiWindow, onKpiWindow, slot }: Props) => {
  const [board, setBoard] = useState<Loaded<BoardRow[]>>({});
  const [kpis, setKpis] = useState<Loaded<AgentKpis[]>>({});
  const [now, setNow] = useState(Date.now());

  const refresh = useCallback(
    async (minPosition?: number) => {
      const [boardAnswer, kpisAnswer] = await Promise.allSettled([
        allPages<BoardRow>(api, 'agents', minPosition),
        allPages<AgentKpis>(api, `stats/agents?window=${kpiWindow}`, minPosition),
      ]);
      setBoard((previous) => settle(previous, boardAnswer));
      setKpis((previous) => settle(previous, kpisAnswer));
      setNow(Date.now());
    },
    [api, kpiWindow],
  );
  useRefreshSlot(slot, refresh);
  useEffect(() => {
    void refresh();
  }, [refresh]);

  const kpiOf = new Map((kpis.value ?? []).map((row) => [row.agentId, row]));
  const rows = board.value;

  return (
    <section class="card" aria-labelledby="board-heading">
      <h2 id="board-heading">Capacity board</h2>
      <KpiWindowSwitch kpiWindow={kpiWindow} onKpiWindow={onKpiWindow} />
      {board.error && <p class="error">Could not load the capacity board: {board.error} Retrying every few seconds.</p>}
      {kpis.error && <p class="error">Could not load the agents' KPIs: {kpis.error} Retrying every few seconds.</p>}
      {!rows && !board.error && <p class="muted">Loading…</p>}
      {rows && rows.length === 0 && <p class="empty">No agents registered yet: an administrator registers them.</p>}
      {rows && rows.length > 0 && (
        <div class="table-wrap" role="group" aria-label="Capacity board table (scrolls sideways)" tabIndex={0}>
          <table>
            <caption class="visually-hidden">Every agent's presence, capacity and KPIs</caption>
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">Presence</th>
                <th scope="col">Capacity used / blocked / free</th>
                <th scope="col">Holding</th>
                <th scope="col">Queues</th>
                <th scope="col">Occupancy</th>
                <th scope="col">Handled</th>
                <th scope="col">Mean handle</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((agent) => {
                const kpi = kpiOf.get(agent.agentId);
                return (
                  <tr key={agent.agentId} data-agent={agent.agentId}>
                    <th scope="row">{agent.agentId}</th>
                    <td>
                      <span class={`presence-dot ${agent.presence}`} aria-hidden="true" />
                      {presenceLabel(agent.presence)}{' '}
                      <time class="muted" dateTime={agent.presenceSince} title={`Since ${formatFullTime(agent.presenceSince)}`}>
                        {since(agent.presenceSince, now)}
                      </time>
                    </td>
                    <td>
                      <div class="board-capacity">
                        <span class="mini-meter" aria-hidden="true">
                          <span class="used" style={{ width: share(agent, agent.used) }} />
                          <span class="blocked" style={{ width: share(agent, agent.blocked) }} />
                        </span>
                        <span data-capacity="figures">
                          {agent.used} / {agent.blocked} / {agent.free} <span class="muted">of {agent.capacity}</span>
                        </span>
                        {agent.forcedOver && <span class="tag over">forced over capacity</span>}
                      </div>
                    </td>
                    <td class="wrap">
                      {agent.claims.length === 0 ? (
                        <span class="muted">nothing</span>
                      ) : (
                        agent.claims.map((claim, i) => (
                          <span key={claim.conversationId}>
                            {i > 0 && ', '}
                            <a href={supervisorConversationHref(claim.conversationId)}>{claim.conversationId}</a>
                            {claim.holding === 'wrap_up' && <span class="muted"> (wrap-up)</span>}
                            {claim.forced && <span class="muted"> (forced)</span>}
                          </span>
                        ))
                      )}
                    </td>
                    <td class="wrap">{agent.queueIds.join(', ') || <span class="muted">none</span>}</td>
                    <td>{percent(kpi?.occupancy)}</td>
                    <td>{kpi?.itemsHandled ?? '—'}</td>
                    <td>
                      {kpi?.averageHandleSeconds === null || kpi?.averageHandleSeconds === undefined
                        ? '—'
                        : formatDuration(kpi.averageHandleSeconds * 1000)}
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

const share = (agent: BoardRow, units: number): string => `${(100 * units) / Math.max(agent.capacity, agent.used + agent.blocked, 1)}%`;
