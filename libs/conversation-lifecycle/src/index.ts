export * from './shared/clock';
export * from './shared/deterministic-id';
export * from './shared/keyed-serializer';
export * from './conversations/conversation-stream';
export * from './conversations/conversation-command.errors';
export * from './conversations/handle-conversation-command';
export * from './conversations/conversation.queries';
export * from './conversation-lifecycle.module';
