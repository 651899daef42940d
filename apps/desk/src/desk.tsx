import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  ApiError,
  PRESENCES,
  seg,
  type Agent,
  type Api,
  type ClosedWorkItem,
  type CommandAnswer,
  type MyWorkItem,
  type Page,
  type Presence,
  type QueueWorkItem,
} from './api';
import { ConversationPanel } from './conversation-panel';
import {
  actorLabel,
  channelLabel,
  formatDuration,
  formatFullTime,
  formatTime,
  presenceLabel,
  reasonLabel,
  since,
  statusLabel,
} from './format';
import { IncomingPushes } from './incoming-push';
import { DeskHeader, useLiveRefresh } from './live';
import { conversationHref, HOME, useRoute } from './routes';

/** A section's data: the last good answer, and the last error if the latest load failed. */
interface Loaded<T> {
  value?: T;
  error?: string;
}

/** A refusal other than 401 becomes the section's error; a 401 keeps what is shown (the sign-in screen covers it). */
const settle = <T,>(previous: Loaded<T>, outcome: PromiseSettledResult<T>): Loaded<T> => {
  if (outcome.status === 'fulfilled') return { value: outcome.value };
  const error = outcome.reason;
  if (error instanceof ApiError && error.statusCode === 401) return previous;
  return { value: previous.value, error: error instanceof Error ? error.message : String(error) };
};

interface Notice {
  kind: 'status' | 'alert';
  text: string;
}

/**
 * The agent's desk: presence, capacity, My work items, the open items of the queues the agent
 * serves (with Pick), the conversation open in the panel, and Closed work items. The agent is
 * the token's subject; the service decides what the agent may see and do.
 */
export const AgentDesk = ({ api, agentId, paused, onSignOut }: { api: Api; agentId: string; paused: boolean; onSignOut: () => void }) => {
  const [agent, setAgent] = useState<Loaded<Agent>>({});
  const [mine, setMine] = useState<Loaded<MyWorkItem[]>>({});
  const [closed, setClosed] = useState<Loaded<ClosedWorkItem[]>>({});
  const [queues, setQueues] = useState<Record<string, Loaded<QueueWorkItem[]>>>({});
  const [loadedOnce, setLoadedOnce] = useState(false);
  const [now, setNow] = useState(Date.now());
  const [tick, setTick] = useState(0);
  const [notice, setNotice] = useState<Notice | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const route = useRoute();
  const queueIds = useRef<string[]>([]);

  // A confirmation has been read after a while; a refusal stays until dismissed.
  useEffect(() => {
    if (notice?.kind !== 'status') return;
    const timer = setTimeout(() => setNotice(undefined), 10_000);
    return () => clearTimeout(timer);
  }, [notice]);

  const refresh = useCallback(
    async (minPosition?: number) => {
      const me = seg(agentId);
      const [agentAnswer, mineAnswer, closedAnswer] = await Promise.allSettled([
        api.get<Agent>(`agents/${me}`),
        api.get<Page<MyWorkItem>>(`agents/${me}/work-items?limit=200`, minPosition),
        api.get<Page<ClosedWorkItem>>(`agents/${me}/closed-work-items?limit=200`, minPosition),
      ]);
      if (agentAnswer.status === 'fulfilled') queueIds.current = agentAnswer.value.queueIds;
      const served = queueIds.current;
      const queueAnswers = await Promise.allSettled(
        served.map((queueId) => api.get<Page<QueueWorkItem>>(`queues/${seg(queueId)}/work-items?limit=50`, minPosition)),
      );
      setAgent((previous) => settle(previous, agentAnswer));
      setMine((previous) =>
        settle(previous, mineAnswer.status === 'fulfilled' ? { status: 'fulfilled', value: mineAnswer.value.items } : mineAnswer),
      );
      setClosed((previous) =>
        settle(previous, closedAnswer.status === 'fulfilled' ? { status: 'fulfilled', value: closedAnswer.value.items } : closedAnswer),
      );
      setQueues((previous) =>
        Object.fromEntries(
          served.map((queueId, i) => {
            const outcome = queueAnswers[i];
            return [
              queueId,
              settle(
                previous[queueId] ?? {},
                outcome.status === 'fulfilled' ? { status: 'fulfilled', value: outcome.value.items } : outcome,
              ),
            ];
          }),
        ),
      );
      setNow(Date.now());
      setLoadedOnce(true);
    },
    [api, agentId],
  );

  // Live: every change the service says concerns this agent reloads what is shown.
  const live = useLiveRefresh(
    api,
    useCallback(
      async (minPosition?: number) => {
        await refresh(minPosition);
        setTick((n) => n + 1);
      },
      [refresh],
    ),
    paused,
  );

  const setPresence = async (presence: Presence) => {
    setBusy('presence');
    try {
      const answer = await api.post<Agent>(`agents/${seg(agentId)}/presence`, { presence });
      setAgent({ value: answer });
      setNotice({ kind: 'status', text: `Presence set to ${presenceLabel(answer.presence)}.` });
    } catch (error) {
      if (!(error instanceof ApiError && error.statusCode === 401))
        setNotice({ kind: 'alert', text: `Presence not changed: ${(error as Error).message}` });
    } finally {
      setBusy(undefined);
    }
  };

  const pick = async (conversationId: string) => {
    setBusy(`pick:${conversationId}`);
    try {
      const answer = await api.post<CommandAnswer>(`conversations/${seg(conversationId)}/pick`, {});
      setNotice({ kind: 'status', text: `Picked ${conversationId}: it is yours now.` });
      window.location.hash = conversationHref(conversationId);
      await refresh(answer.position);
    } catch (error) {
      if (error instanceof ApiError && error.statusCode === 401) return;
      // 409: it is no longer open (its status says what it is now); 403: it is no longer in a
      // queue you serve and was never yours, so the service tells nothing more about it.
      const text =
        error instanceof ApiError && error.isConflict
          ? `${conversationId} could not be picked: it changed in the meantime (${error.body?.status ? `now ${statusLabel(error.body.status)}` : error.message}). The lists are reloaded.`
          : error instanceof ApiError && error.statusCode === 403
            ? `${conversationId} could not be picked: it is no longer open in a queue you serve. The lists are reloaded.`
            : `${conversationId} could not be picked: ${(error as Error).message}`;
      setNotice({ kind: 'alert', text });
      await refresh();
    } finally {
      setBusy(undefined);
    }
  };

  const changed = useCallback(
    (position?: number) => {
      void refresh(position);
    },
    [refresh],
  );

  const me = agent.value;
  return (
    <>
      <DeskHeader title="Agent desk" principalId={agentId} live={live} onSignOut={onSignOut} />
      <main class="desk">
        <div class="notices">
          <p role="status" class="notice">
            {notice?.kind === 'status' ? notice.text : ''}
          </p>
          <div role="alert">
            {notice?.kind === 'alert' && (
              <p class="notice error">
                {notice.text}{' '}
                <button type="button" class="link" onClick={() => setNotice(undefined)}>
                  Dismiss
                </button>
              </p>
            )}
          </div>
        </div>
        <div class="columns">
          <div class="lists">
            <IncomingPushes
              api={api}
              items={mine.value ?? []}
              onDone={(position) => changed(position)}
              onRefused={(text) => {
                setNotice({ kind: 'alert', text });
                changed();
              }}
            />
            <section class="card me" aria-labelledby="me-heading">
              <h2 id="me-heading">Presence and capacity</h2>
              {agent.error && <p class="error">Could not load your agent: {agent.error} Retrying every few seconds.</p>}
              {!me && !agent.error && <p class="muted">Loading…</p>}
              {me && (
                <>
                  <fieldset class="presence" disabled={busy === 'presence'}>
                    <legend>Presence</legend>
                    {PRESENCES.map((presence) => (
                      <button
                        type="button"
                        key={presence}
                        aria-pressed={me.presence === presence}
                        class={me.presence === presence ? 'toggle on' : 'toggle'}
                        onClick={() => void setPresence(presence)}
                      >
                        {presenceLabel(presence)}
                      </button>
                    ))}
                  </fieldset>
                  <CapacityMeter agent={me} />
                </>
              )}
            </section>

            <section class="card" aria-labelledby="mine-heading">
              <h2 id="mine-heading">My work items</h2>
              <SectionError what="My work items" error={mine.error} />
              {mine.value && mine.value.length === 0 && <p class="empty">Nothing is assigned to you. Pick an open item below.</p>}
              {mine.value && mine.value.length > 0 && (
                <div class="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Conversation</th>
                        <th scope="col">Channel</th>
                        <th scope="col">Status</th>
                        <th scope="col">In status</th>
                        <th scope="col">Unread</th>
                      </tr>
                    </thead>
                    <tbody>
                      {mine.value.map((item) => (
                        <tr key={item.conversationId} class={route.conversationId === item.conversationId ? 'selected' : undefined}>
                          <th scope="row">
                            <a
                              href={conversationHref(item.conversationId)}
                              aria-current={route.conversationId === item.conversationId ? 'true' : undefined}
                            >
                              {item.conversationId}
                            </a>
                          </th>
                          <td>{channelLabel(item.channel)}</td>
                          <td>
                            {statusLabel(item.status)}
                            {item.awaitingAcceptance && <span class="tag">awaiting your acceptance</span>}
                          </td>
                          <td>
                            <time dateTime={item.statusSince} title={formatFullTime(item.statusSince)}>
                              {since(item.statusSince, now)}
                            </time>
                          </td>
                          <td class={item.unreadCustomerMessages > 0 ? 'unread' : undefined}>
                            {item.unreadCustomerMessages}
                            <span class="visually-hidden"> unread customer messages</span>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </section>

            <section class="card" aria-labelledby="open-heading">
              <h2 id="open-heading">Open items in my queues</h2>
              {me && me.queueIds.length === 0 && <p class="empty">You serve no queue yet: an administrator adds you to one.</p>}
              {(me?.queueIds ?? []).map((queueId) => (
                <QueueItems key={queueId} queueId={queueId} loaded={queues[queueId] ?? {}} busy={busy} onPick={pick} />
              ))}
            </section>

            <section class="card" aria-labelledby="closed-heading">
              <h2 id="closed-heading">Closed work items (last 24 h)</h2>
              <SectionError what="Closed work items" error={closed.error} />
              {closed.value && closed.value.length === 0 && <p class="empty">Nothing closed in the last 24 hours.</p>}
              {closed.value && closed.value.length > 0 && (
                <div class="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Conversation</th>
                        <th scope="col">Channel</th>
                        <th scope="col">Closed</th>
                        <th scope="col">By</th>
                        <th scope="col">Reason</th>
                      </tr>
                    </thead>
                    <tbody>
                      {closed.value.map((item) => (
                        <tr key={item.conversationId}>
                          <th scope="row">
                            <a href={conversationHref(item.conversationId)}>{item.conversationId}</a>
                          </th>
                          <td>{channelLabel(item.channel)}</td>
                          <td>
                            <time dateTime={item.closedAt} title={formatFullTime(item.closedAt)}>
                              {formatTime(item.closedAt)}
                            </time>
                          </td>
                          <td>{actorLabel(item.closedBy)}</td>
                          <td class="wrap">{reasonLabel(item.closeReason)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </section>
          </div>

          <section class="card panel" aria-labelledby="panel-heading">
            {route.conversationId === undefined ? (
              <>
                <h2 id="panel-heading">Conversation</h2>
                <p class="empty">{loadedOnce ? 'Open one of My work items, or pick an open item, to work it here.' : 'Loading…'}</p>
              </>
            ) : (
              <ConversationPanel
                key={route.conversationId}
                api={api}
                agentId={agentId}
                conversationId={route.conversationId}
                tick={tick}
                now={now}
                onChanged={changed}
                closeHref={HOME}
              />
            )}
          </section>
        </div>
      </main>
    </>
  );
};

const SectionError = ({ what, error }: { what: string; error?: string }) =>
  error ? (
    <p class="error">
      Could not load {what}: {error} Retrying every few seconds.
    </p>
  ) : null;

const CapacityMeter = ({ agent }: { agent: Agent }) => {
  const total = Math.max(agent.capacity, agent.used + agent.blocked, 1);
  const share = (units: number) => `${(100 * units) / total}%`;
  return (
    <div class="capacity">
      <h3 id="capacity-heading">Capacity</h3>
      <div class="meter" aria-hidden="true">
        <span class="used" style={{ width: share(agent.used) }} />
        <span class="blocked" style={{ width: share(agent.blocked) }} />
      </div>
      <dl class="capacity-figures" aria-labelledby="capacity-heading">
        <div>
          <dt>Used</dt>
          <dd data-capacity="used">{agent.used}</dd>
        </div>
        <div>
          <dt>Blocked by wrap-up</dt>
          <dd data-capacity="blocked">{agent.blocked}</dd>
        </div>
        <div>
          <dt>Free</dt>
          <dd data-capacity="free">{agent.free}</dd>
        </div>
        <div>
          <dt>Capacity</dt>
          <dd data-capacity="capacity">{agent.capacity}</dd>
        </div>
      </dl>
    </div>
  );
};

const QueueItems = ({
  queueId,
  loaded,
  busy,
  onPick,
}: {
  queueId: string;
  loaded: Loaded<QueueWorkItem[]>;
  busy?: string;
  onPick: (conversationId: string) => Promise<void>;
}) => {
  const headingId = `queue-${queueId}`;
  return (
    <div class="queue">
      <h3 id={headingId}>Queue {queueId}</h3>
      <SectionError what={`queue ${queueId}`} error={loaded.error} />
      {!loaded.value && !loaded.error && <p class="muted">Loading…</p>}
      {loaded.value && loaded.value.length === 0 && <p class="empty">No open items in {queueId}.</p>}
      {loaded.value && loaded.value.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Open items of queue {queueId} in routing order</caption>
            <thead>
              <tr>
                <th scope="col">Conversation</th>
                <th scope="col">Channel</th>
                <th scope="col">Waiting</th>
                <th scope="col">Priority</th>
                <th scope="col">Unread</th>
                <th scope="col">
                  <span class="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {loaded.value.map((item) => (
                <tr key={item.conversationId}>
                  <th scope="row">{item.conversationId}</th>
                  <td>{channelLabel(item.channel)}</td>
                  <td>
                    <time dateTime={item.queuedSince} title={`In the queue since ${formatFullTime(item.queuedSince)}`}>
                      {formatDuration(item.waitMs)}
                    </time>
                  </td>
                  <td>{item.priority}</td>
                  <td>{item.unreadCustomerMessages}</td>
                  <td>
                    <button
                      type="button"
                      aria-label={`Pick ${item.conversationId}`}
                      disabled={busy !== undefined && busy.startsWith('pick:')}
                      onClick={() => void onPick(item.conversationId)}
                    >
                      Pick
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
};
