import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ConversationFacts, Timeline } from './conversation-parts';
import { ApiError, seg, type Api, type CommandAnswer, type Conversation, type History, type HistoryEntry } from './api';
import { formatFullTime, formatTime, presenceLabel, reasonLabel, statusLabel } from './format';
import { allPages, useRefreshSlot, type BoardRow, type RefreshSlot } from './supervisor-data';
import { SUPERVISOR_HOME } from './supervisor-routes';

interface Props {
  api: Api;
  conversationId: string;
  /** After a command: the dashboard reloads what it shows (up to the command's log position). */
  onChanged: (position?: number) => void;
  slot?: RefreshSlot;
}

/**
 * Any conversation, as a supervisor sees it (GET /api/conversations/:id, /history): where it
 * stands, the supervisor's actions the service allows now (assign or force-assign to an agent,
 * force-close with a reason, monitor), each sent with the revision shown (If-Match), and the
 * timeline. The supervisor's id is the token's subject: the bodies never name it.
 */
export const SupervisorConversation = ({ api, conversationId, onChanged, slot }: Props) => {
  const [conversation, setConversation] = useState<Conversation | undefined>();
  const [history, setHistory] = useState<HistoryEntry[] | undefined>();
  const [agents, setAgents] = useState<BoardRow[] | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const [assignTo, setAssignTo] = useState('');
  const [force, setForce] = useState(false);
  const [reason, setReason] = useState('');
  const [now, setNow] = useState(Date.now());
  const heading = useRef<HTMLHeadingElement>(null);

  const refresh = useCallback(async () => {
    const [view, trail, board] = await Promise.allSettled([
      api.get<Conversation>(`conversations/${seg(conversationId)}`),
      api.get<History>(`conversations/${seg(conversationId)}/history`),
      allPages<BoardRow>(api, 'agents'),
    ]);
    const outcomes = [view, trail, board];
    if (outcomes.some((o) => o.status === 'rejected' && o.reason instanceof ApiError && o.reason.statusCode === 401)) return;
    if (view.status === 'fulfilled') setConversation(view.value);
    if (trail.status === 'fulfilled') setHistory(trail.value.events);
    if (board.status === 'fulfilled') setAgents(board.value);
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    setLoadError(failed ? (failed.reason as Error).message : undefined);
    setNow(Date.now());
  }, [api, conversationId]);
  useRefreshSlot(slot, refresh);

  useEffect(() => {
    heading.current?.focus();
    void refresh();
  }, [refresh]);

  const send = async (label: string, path: string, body: object) => {
    const seen = conversation;
    if (!seen) return;
    setBusy(true);
    setDone(undefined);
    setFailure(undefined);
    try {
      const answer = await api.post<CommandAnswer>(`conversations/${seg(conversationId)}/${path}`, body, seen.revision);
      setDone(`${label}: done. ${conversationId} is now ${statusLabel(answer.status)}.`);
      await refresh();
      onChanged(answer.position);
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.statusCode === 401) return false;
      if (error instanceof ApiError && error.isConflict) {
        setFailure(
          `${conversationId} changed before your “${label}” went through, so nothing was done (you saw it ${statusLabel(seen.status)} at revision ${seen.revision}: ${error.message}). It is shown as it is now: choose again.`,
        );
        await refresh();
        onChanged();
      } else {
        setFailure(`${label} was refused: ${(error as Error).message}`);
      }
      return false;
    } finally {
      setBusy(false);
    }
  };

  const assign = async (event: Event) => {
    event.preventDefault();
    if (assignTo === '') {
      setFailure('Choose the agent to assign it to.');
      return;
    }
    const label = force ? `Force-assign to ${assignTo}` : `Offer to ${assignTo}`;
    if (await send(label, 'assign', force ? { agentId: assignTo, force: true } : { agentId: assignTo })) {
      setAssignTo('');
      setForce(false);
    }
  };

  const forceClose = async (event: Event) => {
    event.preventDefault();
    const why = reason.trim();
    if (why === '') {
      setFailure('Say why it is closed: the reason goes into its timeline.');
      return;
    }
    if (await send('Force close', 'close', { reason: why })) setReason('');
  };

  const allowed = conversation?.allowedActions ?? [];
  const open = conversation !== undefined && conversation.status !== 'closed';

  return (
    <div class="conversation" aria-busy={busy}>
      <div class="panel-head">
        <h2 id="panel-heading" tabIndex={-1} ref={heading}>
          Conversation {conversationId}
        </h2>
        <a class="close" href={SUPERVISOR_HOME}>
          Close<span class="visually-hidden"> conversation {conversationId}</span>
        </a>
      </div>
      {loadError && (
        <p class="error">
          Could not load {conversationId}: {loadError}
        </p>
      )}
      {!conversation && !loadError && <p class="muted">Loading…</p>}
      <div role="alert">{failure && <p class="error">{failure}</p>}</div>
      <p role="status" class="done">
        {done ?? ''}
      </p>
      {conversation && (
        <>
          <ConversationFacts conversation={conversation} now={now}>
            <div>
              <dt>Opened</dt>
              <dd>
                <time dateTime={conversation.openedAt} title={formatFullTime(conversation.openedAt)}>
                  {formatTime(conversation.openedAt)}
                </time>
              </dd>
            </div>
          </ConversationFacts>

          <h3 id="supervise-heading">Supervise</h3>
          {!open && (
            <p class="empty">
              Closed{conversation.closeReason ? ` (${reasonLabel(conversation.closeReason)})` : ''}
              {conversation.closedAt ? ` at ${formatTime(conversation.closedAt)}` : ''}: nothing more to do.
            </p>
          )}
          {open && allowed.includes('monitor') && (
            <div class="actions" role="group" aria-labelledby="supervise-heading">
              <button type="button" disabled={busy} onClick={() => void send('Monitor', 'monitor', {})}>
                Monitor
              </button>
            </div>
          )}
          {open && allowed.includes('assign') && (
            <form class="supervise-form" aria-labelledby="assign-heading" onSubmit={(event) => void assign(event)}>
              <h4 id="assign-heading">Assign</h4>
              <label for="assign-agent">Agent</label>
              <select id="assign-agent" value={assignTo} onChange={(event) => setAssignTo((event.target as HTMLSelectElement).value)}>
                <option value="">Choose an agent…</option>
                {(agents ?? [])
                  .filter((agent) => agent.queueIds.includes(conversation.queueId) || force)
                  .map((agent) => (
                    <option key={agent.agentId} value={agent.agentId}>
                      {agent.agentId}: {presenceLabel(agent.presence)}, {agent.free} free of {agent.capacity}
                    </option>
                  ))}
              </select>
              <label class="check">
                <input type="checkbox" checked={force} onChange={(event) => setForce((event.target as HTMLInputElement).checked)} /> Force:
                assign at once, over capacity if need be
              </label>
              <p class="hint muted">
                {force
                  ? 'Assigned at once, without the agent accepting; its capacity may go over.'
                  : 'Offered like routing does: within presence and capacity, and the agent accepts or rejects it.'}
              </p>
              <button type="submit" disabled={busy}>
                {force ? 'Force-assign' : 'Assign'}
              </button>
            </form>
          )}
          {open && allowed.includes('force-close') && (
            <form class="supervise-form" aria-labelledby="close-heading" onSubmit={(event) => void forceClose(event)}>
              <h4 id="close-heading">Force close</h4>
              <label for="close-reason">Reason</label>
              <input
                id="close-reason"
                type="text"
                maxLength={500}
                value={reason}
                placeholder="e.g. duplicate_of_c-42"
                onInput={(event) => setReason((event.target as HTMLInputElement).value)}
              />
              <button type="submit" class="danger" disabled={busy}>
                Force close
              </button>
            </form>
          )}
        </>
      )}

      <Timeline history={history} />
    </div>
  );
};
