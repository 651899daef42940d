import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Api, Page } from './api';
import { channelLabel, formatDuration, formatFullTime, statusLabel } from './format';
import {
  allPages,
  CHANNELS,
  NO_FILTER,
  ONGOING_STATUSES,
  settle,
  useRefreshSlot,
  type BoardRow,
  type Loaded,
  type OngoingConversation,
  type OngoingFilter,
  type QueueOverview,
  type RefreshSlot,
} from './supervisor-data';
import { supervisorConversationHref } from './supervisor-routes';

/** Rows per page of Ongoing conversations; Show more adds a page. */
const PAGE = 100;

interface Props {
  api: Api;
  /** The conversation open in the panel, if any (its row is marked). */
  selected?: string;
  slot?: RefreshSlot;
}

/**
 * Ongoing conversations: every conversation not closed (GET /api/conversations), longest in its
 * current status first, filtered by queue, status, agent and channel. The filters' choices are
 * the queues (GET /api/queues) and the agents of the capacity board (GET /api/agents).
 */
export const OngoingConversations = ({ api, selected, slot }: Props) => {
  const [filter, setFilter] = useState<OngoingFilter>(NO_FILTER);
  const [pages, setPages] = useState(1);
  const [list, setList] = useState<Loaded<{ items: OngoingConversation[]; more: boolean }>>({});
  const [queues, setQueues] = useState<Loaded<QueueOverview[]>>({});
  const [agents, setAgents] = useState<Loaded<BoardRow[]>>({});

  const loadList = useCallback(
    async (minPosition?: number) => {
      const params = new URLSearchParams({ limit: String(PAGE) });
      for (const [name, value] of Object.entries(filter)) if (value !== '') params.set(name, value);
      const items: OngoingConversation[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < pages; page++) {
        if (cursor !== undefined) params.set('cursor', cursor);
        const answer = await api.get<Page<OngoingConversation>>(`conversations?${params.toString()}`, minPosition);
        items.push(...answer.items);
        cursor = answer.nextCursor;
        if (cursor === undefined) break;
      }
      return { items, more: cursor !== undefined };
    },
    [api, filter, pages],
  );

  const refresh = useCallback(
    async (minPosition?: number) => {
      const [listAnswer, queuesAnswer, agentsAnswer] = await Promise.allSettled([
        loadList(minPosition),
        allPages<QueueOverview>(api, 'queues', minPosition, 200),
        allPages<BoardRow>(api, 'agents', minPosition),
      ]);
      setList((previous) => settle(previous, listAnswer));
      setQueues((previous) => settle(previous, queuesAnswer));
      setAgents((previous) => settle(previous, agentsAnswer));
    },
    [api, loadList],
  );
  useRefreshSlot(slot, refresh);

  // Load now, and again whenever the filters or the number of pages change.
  useEffect(() => {
    void refresh();
  }, [refresh]);

  const choose = (name: keyof OngoingFilter) => (event: Event) => {
    setFilter({ ...filter, [name]: (event.target as HTMLSelectElement).value });
    setPages(1);
  };
  const filtered = Object.values(filter).some((value) => value !== '');
  const items = list.value?.items;

  return (
    <section class="card" aria-labelledby="ongoing-heading">
      <h2 id="ongoing-heading">Ongoing conversations</h2>
      <form class="filters" role="search" aria-label="Filter ongoing conversations" onSubmit={(event) => event.preventDefault()}>
        <div class="field">
          <label for="filter-queue">Queue</label>
          <select id="filter-queue" value={filter.queueId} onChange={choose('queueId')}>
            <option value="">All queues</option>
            {(queues.value ?? []).map((queue) => (
              <option key={queue.queueId} value={queue.queueId}>
                {queue.name === queue.queueId ? queue.queueId : `${queue.name} (${queue.queueId})`}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-status">Status</label>
          <select id="filter-status" value={filter.status} onChange={choose('status')}>
            <option value="">Any status</option>
            {ONGOING_STATUSES.map((status) => (
              <option key={status} value={status}>
                {statusLabel(status)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-agent">Agent</label>
          <select id="filter-agent" value={filter.agentId} onChange={choose('agentId')}>
            <option value="">Any agent</option>
            {(agents.value ?? []).map((agent) => (
              <option key={agent.agentId} value={agent.agentId}>
                {agent.agentId}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-channel">Channel</label>
          <select id="filter-channel" value={filter.channel} onChange={choose('channel')}>
            <option value="">Any channel</option>
            {CHANNELS.map((channel) => (
              <option key={channel} value={channel}>
                {channelLabel(channel)}
              </option>
            ))}
          </select>
        </div>
        <button
          type="button"
          class="secondary"
          disabled={!filtered}
          onClick={() => {
            setFilter(NO_FILTER);
            setPages(1);
          }}
        >
          Clear filters
        </button>
      </form>
      {list.error && <p class="error">Could not load Ongoing conversations: {list.error} Retrying every few seconds.</p>}
      {!list.value && !list.error && <p class="muted">Loading…</p>}
      {items && items.length === 0 && (
        <p class="empty">
          {filtered ? 'No ongoing conversation matches these filters.' : 'No ongoing conversations: everything is closed.'}
        </p>
      )}
      {items && items.length > 0 && (
        <>
          <p class="muted summary">
            {items.length}
            {list.value?.more ? '+' : ''} {items.length === 1 ? 'conversation' : 'conversations'}, longest in their status first.
          </p>
          <div class="table-wrap" role="group" aria-label="Ongoing conversations table (scrolls sideways)" tabIndex={0}>
            <table>
              <caption class="visually-hidden">Ongoing conversations, longest in their status first</caption>
              <thead>
                <tr>
                  <th scope="col">Conversation</th>
                  <th scope="col">Status</th>
                  <th scope="col">In status</th>
                  <th scope="col">Wait so far</th>
                  <th scope="col">Agent</th>
                  <th scope="col">Queue</th>
                  <th scope="col">Channel</th>
                  <th scope="col">Unread</th>
                </tr>
              </thead>
              <tbody>
                {items.map((item) => (
                  <tr key={item.conversationId} class={selected === item.conversationId ? 'selected' : undefined}>
                    <th scope="row">
                      <a
                        href={supervisorConversationHref(item.conversationId)}
                        aria-current={selected === item.conversationId ? 'true' : undefined}
                      >
                        {item.conversationId}
                      </a>
                    </th>
                    <td>
                      {statusLabel(item.status)}
                      {item.assignment === 'awaiting_acceptance' && <span class="tag">awaiting acceptance</span>}
                    </td>
                    <td>
                      <time dateTime={item.statusSince} title={`Since ${formatFullTime(item.statusSince)}`}>
                        {formatDuration(item.timeInStatusMs)}
                      </time>
                    </td>
                    <td>
                      <time dateTime={item.openedAt} title={`Opened ${formatFullTime(item.openedAt)}`}>
                        {formatDuration(item.waitedMs)}
                      </time>
                    </td>
                    <td>{item.agentId ?? <span class="muted">—</span>}</td>
                    <td>{item.queueId}</td>
                    <td>{channelLabel(item.channel)}</td>
                    <td class={item.unreadCustomerMessages > 0 ? 'unread' : undefined}>
                      {item.unreadCustomerMessages}
                      <span class="visually-hidden"> unread customer messages</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {list.value?.more && (
            <button type="button" class="secondary more" onClick={() => setPages(pages + 1)}>
              Show more
            </button>
          )}
        </>
      )}
    </section>
  );
};
