import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@lib/event-store';
import type { ProjectorHost } from '@lib/read-models';
import { PROJECTOR } from '../infrastructure/read-models.module';
import type { AppConfig } from '@lib/platform';
import { APP_CONFIG } from '../config/app-config';
import { RequestValidationError } from '../http/request-validation.error';

/** The views have not reached the position the caller asked for within the bounded wait: 503. */
export class ReadModelBehindError extends Error {
  readonly code = 'READ_MODEL.BEHIND';
  constructor(
    readonly minPosition: number,
    readonly positions: Record<string, number>,
    readonly failed: boolean,
  ) {
    super(
      failed
        ? `A view has stopped at an event it cannot apply, so it cannot reach position ${minPosition}; see /health`
        : `The views have not reached position ${minPosition} yet; retry shortly`,
    );
  }
}

/**
 * Read your writes: a command answers with the log `position` of its last event; a query that
 * passes it as `minPosition` is answered only once every view has applied that position.
 * Commands themselves never wait for the views, so writes stay as fast as the log.
 */
@Injectable()
export class ReadYourWrites {
  constructor(
    @Inject(PROJECTOR) private readonly projector: ProjectorHost,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async awaitPosition(minPosition: number | undefined): Promise<void> {
    if (minPosition === undefined) return;
    const head = await this.store.headPosition();
    if (minPosition > head) {
      throw new RequestValidationError([
        {
          field: 'minPosition',
          messages: [`minPosition ${minPosition} is beyond the last event written (${head}); pass a command's position`],
        },
      ]);
    }
    if (await this.projector.waitForPosition(minPosition, this.config.readYourWritesTimeoutMs)) return;
    const statuses = this.projector.status();
    throw new ReadModelBehindError(
      minPosition,
      Object.fromEntries(statuses.map((s) => [s.name, s.position])),
      statuses.some((s) => !s.healthy && s.failure !== undefined),
    );
  }
}

/** The read models name a bad parameter in a RangeError (`limit ...`, `cursor ...`): answer 400. */
export const badParametersAsRequestErrors = async <T>(query: () => Promise<T>): Promise<T> => {
  try {
    return await query();
  } catch (error) {
    if (error instanceof RangeError) {
      const field = /^(\w+)/.exec(error.message)?.[1] ?? 'query';
      throw new RequestValidationError([{ field, messages: [error.message] }]);
    }
    throw error;
  }
};
