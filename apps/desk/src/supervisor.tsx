import { useCallback, useMemo, useState } from 'preact/hooks';
import type { Api } from './api';
import { CapacityBoard } from './supervisor-agents';
import { SupervisorConversation } from './supervisor-conversation';
import { DeskHeader, useLiveRefresh } from './live';
import { type KpiWindowName, type RefreshSlot } from './supervisor-data';
import { OngoingConversations } from './supervisor-ongoing';
import { QueuesScreen } from './supervisor-queues';
import { parseSupervisorRoute, supervisorHref, useHash, type SupervisorScreen } from './supervisor-routes';

const SCREENS: ReadonlyArray<{ screen: SupervisorScreen; label: string }> = [
  { screen: 'ongoing', label: 'Ongoing conversations' },
  { screen: 'queues', label: 'Queues' },
  { screen: 'agents', label: 'Capacity board' },
];

interface Props {
  api: Api;
  supervisorId: string;
  /** The session no longer holds (401): nothing reloads until the supervisor signs in again. */
  paused: boolean;
  onSignOut: () => void;
}

/**
 * The supervisor dashboard (role supervisor; the token's subject is the supervisor): Ongoing
 * conversations with any conversation's panel (assign, force-close, monitor, timeline), the
 * queues with their live KPIs, and the capacity board. Each screen reloads through its one
 * `refresh`, which the dashboard calls on every change the live stream reports (every few
 * seconds only while the stream is down) and after each command (up to the command's log position); `refresh` here calls every visible screen's.
 */
export const SupervisorDashboard = ({ api, supervisorId, paused, onSignOut }: Props) => {
  const route = parseSupervisorRoute(useHash());
  const [kpiWindow, setKpiWindow] = useState<KpiWindowName>('1h');
  const slots = useMemo(() => ({ screen: {} as RefreshSlot, conversation: {} as RefreshSlot }), []);

  const refresh = useCallback(
    async (minPosition?: number) => {
      await Promise.all(Object.values(slots).map((slot) => slot.current?.(minPosition)));
    },
    [slots],
  );
  const live = useLiveRefresh(api, refresh, paused);
  const changed = useCallback((position?: number) => void refresh(position), [refresh]);

  const current = SCREENS.find((s) => s.screen === route.screen) ?? SCREENS[0];
  return (
    <>
      <DeskHeader title="Supervisor dashboard" principalId={supervisorId} live={live} onSignOut={onSignOut} />
      <nav class="tabs" aria-label="Dashboard screens">
        <ul>
          {SCREENS.map(({ screen, label }) => (
            <li key={screen}>
              <a href={supervisorHref(screen)} aria-current={screen === current.screen ? 'page' : undefined}>
                {label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main class="desk supervisor">
        {route.screen === 'ongoing' && (
          <div class="columns">
            <div class="lists">
              <OngoingConversations api={api} selected={route.conversationId} slot={slots.screen} />
            </div>
            <section class={route.conversationId === undefined ? 'card panel idle' : 'card panel'} aria-labelledby="panel-heading">
              {route.conversationId === undefined ? (
                <>
                  <h2 id="panel-heading">Conversation</h2>
                  <p class="empty">Open a conversation to assign it, force-close it, monitor it, or read its timeline.</p>
                </>
              ) : (
                <SupervisorConversation
                  key={route.conversationId}
                  api={api}
                  conversationId={route.conversationId}
                  onChanged={changed}
                  slot={slots.conversation}
                />
              )}
            </section>
          </div>
        )}
        {route.screen === 'queues' && <QueuesScreen api={api} kpiWindow={kpiWindow} onKpiWindow={setKpiWindow} slot={slots.screen} />}
        {route.screen === 'agents' && <CapacityBoard api={api} kpiWindow={kpiWindow} onKpiWindow={setKpiWindow} slot={slots.screen} />}
      </main>
    </>
  );
};
