import type { IncomingMessage } from 'node:http';

/** How much of an oversized body is read and thrown away so the client can read its 413. */
export const OVERSIZED_BODY_DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * Fastify refuses a body over the limit as soon as it knows (from Content-Length, or when the
 * limit is crossed) and stops reading it. A client still sending then has its connection
 * closed under it and reports a reset (EPIPE), never the 413. Reading the rest first, up to a
 * bound, lets an ordinary client see the answer; past the bound the connection is closed.
 * Resolves true when the whole body was read.
 */
export const drainRequestBody = (request: IncomingMessage, maxBytes = OVERSIZED_BODY_DRAIN_BYTES, maxMs = 10_000): Promise<boolean> =>
  new Promise((resolve) => {
    if (request.complete || request.destroyed) {
      resolve(request.complete);
      return;
    }
    let received = 0;
    const finish = (whole: boolean) => {
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('close', onClose);
      request.off('error', onClose);
      resolve(whole);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(request.complete);
    const timer = setTimeout(() => finish(false), maxMs);
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('close', onClose);
    request.once('error', onClose);
    request.resume();
  });
