import { useEffect, useState } from 'preact/hooks';
import { ApiError, seg, type Api, type CommandAnswer, type Conversation, type MyWorkItem } from './api';
import { channelLabel } from './format';
import { conversationHref } from './routes';

/** What the desk knows of one push offered to the agent. */
interface Offer {
  conversation: Conversation;
  /** The reservation's time left when the conversation was read, and when (this page's monotonic clock). */
  remainingMs?: number;
  readAt: number;
}

const clock = (ms: number) => {
  const seconds = Math.ceil(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
};

/**
 * A conversation routing (or a supervisor) pushed to this agent, shown above everything with
 * Accept and Reject and the reservation's countdown: when it runs out the service takes the
 * offer back and gives it to someone else. The time left comes from the service's clock
 * (remainingMs) and runs down on this page's, so a browser whose clock is off still counts right.
 */
const IncomingPush = ({
  api,
  item,
  onDone,
  onRefused,
}: {
  api: Api;
  item: MyWorkItem;
  onDone: (position: number, accepted: boolean) => void;
  onRefused: (text: string) => void;
}) => {
  const [offer, setOffer] = useState<Offer | undefined>();
  const [now, setNow] = useState(performance.now());
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let cancelled = false;
    // Taken before the request: the time left counts from when the service measured it, at the latest.
    const asked = performance.now();
    void api.get<Conversation>(`conversations/${seg(item.conversationId)}`).then(
      (conversation) => {
        if (cancelled) return;
        const timer = conversation.timers?.find((candidate) => candidate.kind === 'push_reservation');
        setOffer({ conversation, remainingMs: timer?.remainingMs, readAt: asked });
      },
      // No countdown then; Accept and Reject still work.
      () => undefined,
    );
    const ticking = setInterval(() => setNow(performance.now()), 1000);
    return () => {
      cancelled = true;
      clearInterval(ticking);
    };
  }, [api, item.conversationId, item.statusSince]);

  // Sent without If-Match: a customer's message or a supervisor's monitor moves the revision but
  // not the offer, and the service refuses anyway unless the push still awaits this agent.
  const answer = async (action: 'accept' | 'reject') => {
    setBusy(true);
    try {
      const done = await api.post<CommandAnswer>(`conversations/${seg(item.conversationId)}/${action}`, {});
      onDone(done.position, action === 'accept');
    } catch (error) {
      if (error instanceof ApiError && error.statusCode === 401) return;
      onRefused(
        error instanceof ApiError && error.isConflict
          ? `${item.conversationId} is no longer offered to you (${error.body?.status ? `now ${error.body.status}` : error.message}).`
          : `${action === 'accept' ? 'Accept' : 'Reject'} failed: ${(error as Error).message}`,
      );
    } finally {
      setBusy(false);
    }
  };

  const left = offer?.remainingMs === undefined ? undefined : Math.max(0, offer.remainingMs - (now - offer.readAt));
  const headingId = `incoming-${item.conversationId}`;
  return (
    <section class="card incoming" aria-labelledby={headingId} data-conversation={item.conversationId}>
      <h2 id={headingId}>Incoming: {item.conversationId}</h2>
      <p class="visually-hidden" role="alert">
        {item.conversationId} is offered to you: accept or reject it.
      </p>
      <p>
        {channelLabel(item.channel)} from {item.customerId}, queue {item.queueId}
      </p>
      {left !== undefined && (
        <p class={left < 15_000 ? 'countdown urgent' : 'countdown'}>
          {left > 0 ? (
            <>
              Accept within <span role="timer">{clock(left)}</span>
            </>
          ) : (
            'The offer has run out; it goes back to the queue.'
          )}
        </p>
      )}
      <div class="actions">
        <button type="button" disabled={busy || left === 0} onClick={() => void answer('accept')}>
          Accept {item.conversationId}
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={() => void answer('reject')}>
          Reject {item.conversationId}
        </button>
      </div>
    </section>
  );
};

/** Every push awaiting this agent's answer, newest last. */
export const IncomingPushes = ({
  api,
  items,
  onDone,
  onRefused,
}: {
  api: Api;
  items: readonly MyWorkItem[];
  onDone: (position: number) => void;
  onRefused: (text: string) => void;
}) => (
  <>
    {items
      .filter((item) => item.awaitingAcceptance)
      .map((item) => (
        <IncomingPush
          key={item.conversationId}
          api={api}
          item={item}
          onDone={(position, accepted) => {
            if (accepted) window.location.hash = conversationHref(item.conversationId);
            onDone(position);
          }}
          onRefused={onRefused}
        />
      ))}
  </>
);
