import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { WEBHOOK_STATUSES, type WebhookStatus } from '@lib/event-feed';

/** The shapes the webhook routes answer with, as the OpenAPI document states them. */

export class WebhookDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'https://example.com/hooks' })
  url!: string;

  @ApiProperty()
  description!: string;

  @ApiProperty({ type: [String], description: 'Event-type patterns; empty: every type' })
  eventTypes!: string[];

  @ApiProperty({ type: [String], description: 'Stream patterns or categories; empty: every stream' })
  streams!: string[];

  @ApiProperty({
    enum: WEBHOOK_STATUSES,
    description:
      'active: delivering; paused: by an administrator; failing: an event failed for the whole retry window (paused, backlog kept); disabled: the receiver answered 410',
  })
  status!: WebhookStatus;

  @ApiPropertyOptional({ description: 'Why it is not active' })
  statusReason?: string;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Log position of the last event delivered or passed over: delivery resumes after it',
  })
  checkpoint!: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Failed attempts at the next event' })
  failures!: number;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'When the next event first failed' })
  failingSince?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'When the next attempt is due' })
  nextAttemptAt?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Until when the secret before the last rotation still signs' })
  previousSecretValidUntil?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'GET only: log positions after the checkpoint, its backlog (events, on the embedded store)',
  })
  backlogEvents?: number;

  @ApiPropertyOptional({ description: 'GET only: the service instance delivering it now (host:pid:nonce), while its lease runs' })
  deliveredBy?: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ description: 'The administrator who created it' })
  createdBy!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: string;
}

export class WebhookWithSecretDto extends WebhookDto {
  @ApiProperty({
    description:
      'The signing secret (Standard Webhooks, `whsec_…`): shown only in this answer; keep it where the receiver verifies signatures',
  })
  secret!: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto] })
  items!: WebhookDto[];
}

export class PingResultDto {
  @ApiProperty({ description: 'The webhook-id of the test message' })
  messageId!: string;

  @ApiProperty({ enum: ['delivered', 'gone', 'rejected', 'timeout', 'network', 'blocked'] })
  result!: string;

  @ApiPropertyOptional({ type: 'integer' })
  statusCode?: number;

  @ApiPropertyOptional()
  error?: string;

  @ApiProperty({ type: 'integer', minimum: 0 })
  durationMs!: number;
}

export class DeliveryAttemptDto {
  @ApiProperty({ type: 'integer' })
  id!: number;

  @ApiProperty({ enum: ['event', 'ping'] })
  kind!: string;

  @ApiProperty({ description: 'The event id (webhook-id)' })
  eventId!: string;

  @ApiProperty()
  eventType!: string;

  @ApiPropertyOptional({ type: 'integer', description: 'Log position of the event' })
  position?: number;

  @ApiProperty({ type: 'integer', minimum: 1, description: 'Which attempt at this event' })
  attempt!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  attemptedAt!: string;

  @ApiProperty({ enum: ['delivered', 'gone', 'rejected', 'timeout', 'network', 'blocked'] })
  result!: string;

  @ApiPropertyOptional({ type: 'integer', description: "The receiver's HTTP status" })
  statusCode?: number;

  @ApiPropertyOptional({ description: 'Why no answer came (timeout, connection error, address not allowed)' })
  error?: string;

  @ApiProperty({ type: 'integer', minimum: 0 })
  durationMs!: number;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'When it is tried again' })
  nextRetryAt?: string;
}

export class DeliveryPageDto {
  @ApiProperty({ type: [DeliveryAttemptDto], description: 'Newest first' })
  items!: DeliveryAttemptDto[];

  @ApiPropertyOptional({ type: 'integer', description: 'Pass as `before` for older attempts; absent on the last page' })
  nextBefore?: number;
}
