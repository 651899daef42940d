import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { AgentCommand } from '@lib/domain';
import { AgentLedger, type AgentCommandResult } from './agent-ledger';

/** Registration and presence from the API; reservations come from the conversation handler. */
export class HandleAgentCommand {
  constructor(readonly agentId: string, readonly command: AgentCommand) {}
}

@CommandHandler(HandleAgentCommand)
export class HandleAgentCommandHandler implements ICommandHandler<HandleAgentCommand, AgentCommandResult> {
  constructor(private readonly ledger: AgentLedger) {}

  execute({ agentId, command }: HandleAgentCommand): Promise<AgentCommandResult> {
    return this.ledger.execute(agentId, command);
  }
}
