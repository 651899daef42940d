import type { ComponentChildren } from 'preact';
import type { Conversation, HistoryEntry } from './api';
import { actorLabel, channelLabel, eventLabel, formatFullTime, formatTime, reasonLabel, since, statusLabel } from './format';

/**
 * A conversation's facts as both desks show them (status, time in it, channel, queue, customer,
 * agent), then what each desk adds (`children`: more rows), then the revision its commands pin.
 */
export const ConversationFacts = ({
  conversation,
  now,
  children,
}: {
  conversation: Conversation;
  now: number;
  children?: ComponentChildren;
}) => (
  <dl class="facts">
    <div>
      <dt>Status</dt>
      <dd data-field="status">
        {statusLabel(conversation.status)}
        {conversation.assignment === 'awaiting_acceptance' && <span class="tag">awaiting acceptance</span>}
      </dd>
    </div>
    <div>
      <dt>In status for</dt>
      <dd>
        <time dateTime={conversation.statusSince} title={formatFullTime(conversation.statusSince)}>
          {since(conversation.statusSince, now)}
        </time>{' '}
        (since {formatTime(conversation.statusSince)})
      </dd>
    </div>
    <div>
      <dt>Channel</dt>
      <dd>{channelLabel(conversation.channel)}</dd>
    </div>
    <div>
      <dt>Queue</dt>
      <dd>{conversation.queueId}</dd>
    </div>
    <div>
      <dt>Customer</dt>
      <dd>{conversation.customerId}</dd>
    </div>
    <div>
      <dt>Agent</dt>
      <dd data-field="agent">{conversation.agentId ?? '—'}</dd>
    </div>
    {children}
    <div>
      <dt>Revision</dt>
      <dd data-field="revision">{conversation.revision}</dd>
    </div>
  </dl>
);

/** A conversation's history: time, event, actor, reason, oldest first. */
export const Timeline = ({ history }: { history: HistoryEntry[] | undefined }) => (
  <>
    <h3 id="timeline-heading">Timeline</h3>
    {history && history.length > 0 ? (
      <ol class="timeline" aria-labelledby="timeline-heading">
        {history.map((entry) => (
          <li key={entry.revision}>
            <time dateTime={entry.at} title={formatFullTime(entry.at)}>
              {formatTime(entry.at)}
            </time>
            <span class="event">{eventLabel(entry.type)}</span>
            <span class="actor">{actorLabel(entry.actor)}</span>
            <span class="reason">{reasonLabel(entry.reason)}</span>
          </li>
        ))}
      </ol>
    ) : (
      history && <p class="empty">No events yet.</p>
    )}
  </>
);
