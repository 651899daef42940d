import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ConversationFacts, Timeline } from './conversation-parts';
import {
  ApiError,
  seg,
  type Api,
  type CommandAnswer,
  type Conversation,
  type History,
  type HistoryEntry,
  type Page,
  type Queue,
} from './api';
import { actorLabel, eventLabel, formatTime, reasonLabel, statusLabel } from './format';

/**
 * The buttons an agent may be offered, by the name the service lists in `allowedActions`:
 * the route each sends and its body. The service's list is about the conversation's state,
 * whoever asks; the desk shows of it what an agent does (supervisor, channel and timer
 * actions are not offered) and, but for Pick, only on a conversation the agent holds.
 */
const AGENT_ACTIONS: Record<string, { label: string; path: string; body: object; holderOnly: boolean }> = {
  pick: { label: 'Pick', path: 'pick', body: {}, holderOnly: false },
  accept: { label: 'Accept', path: 'accept', body: {}, holderOnly: true },
  reject: { label: 'Reject', path: 'reject', body: {}, holderOnly: true },
  'end-by-agent': { label: 'End', path: 'end', body: { by: 'agent' }, holderOnly: true },
  'close-session': { label: 'Close session', path: 'close-session', body: {}, holderOnly: true },
  resolve: { label: 'Resolve', path: 'resolve', body: {}, holderOnly: true },
  revive: { label: 'Revive', path: 'revive', body: {}, holderOnly: true },
  release: { label: 'Release to queue', path: 'release', body: {}, holderOnly: true },
  'agent-reconnect': { label: 'Reconnect', path: 'agent-reconnect', body: {}, holderOnly: true },
};

interface Conflict {
  action: string;
  seen: Conversation;
  now?: Conversation;
  changes: HistoryEntry[];
  message: string;
}

interface Props {
  api: Api;
  agentId: string;
  conversationId: string;
  /** Changes on every periodic refresh of the desk: the panel reloads with it. */
  tick: number;
  now: number;
  /** After a command: the desk reloads its lists (up to the command's log position). */
  onChanged: (position?: number) => void;
  closeHref: string;
}

/**
 * One conversation: where it stands, the actions allowed now as buttons (each sent with the
 * revision shown, If-Match), and its timeline. A 409 or 412 says what changed since the panel
 * was loaded and shows the conversation as it is now.
 */
export const ConversationPanel = ({ api, agentId, conversationId, tick, now, onChanged, closeHref }: Props) => {
  const [conversation, setConversation] = useState<Conversation | undefined>();
  const [history, setHistory] = useState<HistoryEntry[] | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const [conflict, setConflict] = useState<Conflict | undefined>();
  const [queues, setQueues] = useState<Queue[] | undefined>();
  const [transferTo, setTransferTo] = useState('');
  const [transferToAgent, setTransferToAgent] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);

  const load = useCallback(async (): Promise<{ conversation?: Conversation; history?: HistoryEntry[] }> => {
    const [view, trail] = await Promise.allSettled([
      api.get<Conversation>(`conversations/${seg(conversationId)}`),
      api.get<History>(`conversations/${seg(conversationId)}/history`),
    ]);
    const unauthorized = [view, trail].some((o) => o.status === 'rejected' && o.reason instanceof ApiError && o.reason.statusCode === 401);
    if (unauthorized) return {};
    if (view.status === 'fulfilled') setConversation(view.value);
    if (trail.status === 'fulfilled') setHistory(trail.value.events);
    const failed = [view, trail].find((o): o is PromiseRejectedResult => o.status === 'rejected');
    setLoadError(failed ? (failed.reason as Error).message : undefined);
    return {
      conversation: view.status === 'fulfilled' ? view.value : undefined,
      history: trail.status === 'fulfilled' ? trail.value.events : undefined,
    };
  }, [api, conversationId]);

  useEffect(() => {
    heading.current?.focus();
  }, [conversationId]);

  useEffect(() => {
    void load();
  }, [load, tick]);

  const holds = conversation?.agentId === agentId && conversation.status !== 'closed' && conversation.status !== 'open';
  const offered = (conversation?.allowedActions ?? []).filter((action) => {
    const known = AGENT_ACTIONS[action];
    return known !== undefined && (known.holderOnly ? holds : conversation?.status === 'open');
  });
  const transferable = holds && (conversation?.allowedActions ?? []).includes('transfer');

  useEffect(() => {
    if (!transferable || queues !== undefined) return;
    api.get<Page<Queue>>('queues?limit=200').then(
      (page) => setQueues(page.items),
      () => setQueues([]),
    );
  }, [api, transferable, queues]);

  const send = async (action: string, label: string, path: string, body: object) => {
    const seen = conversation;
    if (!seen) return;
    setBusy(action);
    setDone(undefined);
    setFailure(undefined);
    setConflict(undefined);
    try {
      const answer = await api.post<CommandAnswer>(`conversations/${seg(conversationId)}/${path}`, body, seen.revision);
      setDone(`${label}: done. ${conversationId} is now ${statusLabel(answer.status)}.`);
      await load();
      onChanged(answer.position);
    } catch (error) {
      if (error instanceof ApiError && error.statusCode === 401) return;
      if (error instanceof ApiError && error.isConflict) {
        const fresh = await load();
        setConflict({
          action: label,
          seen,
          now: fresh.conversation,
          changes: (fresh.history ?? []).filter((entry) => entry.revision > seen.revision),
          message: error.message,
        });
        onChanged();
      } else {
        setFailure(`${label} was refused: ${(error as Error).message}`);
      }
    } finally {
      setBusy(undefined);
    }
  };

  const act = (action: string) => {
    const known = AGENT_ACTIONS[action];
    void send(action, known.label, known.path, known.body);
  };

  const transfer = (event: Event) => {
    event.preventDefault();
    if (transferTo === '') {
      setFailure('Choose the queue to transfer to.');
      return;
    }
    void send('transfer', `Transfer to ${transferTo}`, 'transfer', { toQueueId: transferTo });
  };

  // Another agent takes it over at once (no acceptance): the service checks that agent's room.
  const transferAgent = (event: Event) => {
    event.preventDefault();
    const agentId = transferToAgent.trim();
    if (agentId === '') {
      setFailure('Type the id of the agent to transfer to.');
      return;
    }
    void send('transfer', `Transfer to agent ${agentId}`, 'transfer', { toAgentId: agentId });
  };

  return (
    <div class="conversation" aria-busy={busy !== undefined}>
      <div class="panel-head">
        <h2 id="panel-heading" tabIndex={-1} ref={heading}>
          Conversation {conversationId}
        </h2>
        <a class="close" href={closeHref}>
          Close<span class="visually-hidden"> conversation {conversationId}</span>
        </a>
      </div>
      {loadError && (
        <p class="error">
          Could not load {conversationId}: {loadError}
        </p>
      )}
      {!conversation && !loadError && <p class="muted">Loading…</p>}
      <div role="alert">
        {conflict && (
          <div class="conflict">
            <p>
              <strong>
                {conversationId} changed before your “{conflict.action}” went through, so nothing was done.
              </strong>{' '}
              You saw it {statusLabel(conflict.seen.status)} at revision {conflict.seen.revision}
              {conflict.now ? `; it is now ${statusLabel(conflict.now.status)} at revision ${conflict.now.revision}` : ''}. The panel shows
              it as it is now: choose again.
            </p>
            {conflict.changes.length > 0 ? (
              <ul>
                {conflict.changes.map((entry) => (
                  <li key={entry.revision}>
                    {formatTime(entry.at)}: {eventLabel(entry.type)} by {actorLabel(entry.actor)} ({reasonLabel(entry.reason)})
                  </li>
                ))}
              </ul>
            ) : (
              <p>The service said: {conflict.message}</p>
            )}
          </div>
        )}
        {failure && <p class="error">{failure}</p>}
      </div>
      <p role="status" class="done">
        {done ?? ''}
      </p>
      {conversation && (
        <>
          <ConversationFacts conversation={conversation} now={now}>
            <div>
              <dt>Unread customer messages</dt>
              <dd>{conversation.unreadCustomerMessages}</dd>
            </div>
          </ConversationFacts>

          <h3 id="actions-heading">Actions</h3>
          {offered.length === 0 && !transferable ? (
            <p class="empty">
              {conversation.status === 'closed'
                ? `Closed${conversation.closeReason ? ` (${reasonLabel(conversation.closeReason)})` : ''}: nothing more to do.`
                : 'Nothing you can do on it now.'}
            </p>
          ) : (
            <div class="actions" role="group" aria-labelledby="actions-heading">
              {offered.map((action) => (
                <button type="button" key={action} disabled={busy !== undefined} onClick={() => act(action)}>
                  {AGENT_ACTIONS[action].label}
                </button>
              ))}
            </div>
          )}
          {transferable && (
            <form class="transfer" onSubmit={transfer}>
              <label for="transfer-queue">Transfer to queue</label>
              <select id="transfer-queue" value={transferTo} onChange={(event) => setTransferTo((event.target as HTMLSelectElement).value)}>
                <option value="">Choose a queue…</option>
                {(queues ?? [])
                  .filter((queue) => queue.id !== conversation.queueId)
                  .map((queue) => (
                    <option key={queue.id} value={queue.id}>
                      {queue.name === queue.id ? queue.id : `${queue.name} (${queue.id})`}
                    </option>
                  ))}
              </select>
              <button type="submit" disabled={busy !== undefined}>
                Transfer
              </button>
            </form>
          )}
          {transferable && (
            <form class="transfer" onSubmit={transferAgent}>
              <label for="transfer-agent">Transfer to agent</label>
              <input
                id="transfer-agent"
                type="text"
                autoComplete="off"
                spellcheck={false}
                maxLength={64}
                placeholder="agent id"
                value={transferToAgent}
                onInput={(event) => setTransferToAgent((event.target as HTMLInputElement).value)}
              />
              <button type="submit" disabled={busy !== undefined}>
                Transfer to agent
              </button>
            </form>
          )}
        </>
      )}

      <Timeline history={history} />
    </div>
  );
};
