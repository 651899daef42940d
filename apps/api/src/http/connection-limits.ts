import type { AppConfig } from '@lib/platform';
import { answerRouterError, MAX_PATH_PARAMETER_LENGTH } from './router-errors';

/**
 * Fastify and Node options that bound how long a client may hold a connection: a request
 * trickled a byte at a time is answered 408 when REQUEST_TIMEOUT runs out, headers that never
 * end after HEADERS_TIMEOUT, and an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT.
 */
export const connectionLimits = (config: AppConfig) => ({
  bodyLimit: config.bodyLimitBytes,
  routerOptions: { maxParamLength: MAX_PATH_PARAMETER_LENGTH },
  frameworkErrors: answerRouterError,
  requestTimeout: config.requestTimeoutMs,
  keepAliveTimeout: config.keepAliveTimeoutMs,
  http: {
    requestTimeout: config.requestTimeoutMs,
    headersTimeout: config.headersTimeoutMs,
    // Node checks the two timeouts above on this interval (30 s by default): a limit is only
    // as precise as the check.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(config.headersTimeoutMs / 4))),
  },
});
