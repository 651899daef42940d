import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { AgentCommand } from '@lib/domain';
import type { CausationMetadata } from '../shared/causation';
import { AgentLedger, type AgentCommandResult } from './agent-ledger';

/** Registration and presence from the API; reservations come from the conversation handler. */
export class HandleAgentCommand {
  constructor(
    readonly agentId: string,
    readonly command: AgentCommand,
    readonly why?: CausationMetadata,
  ) {}
}

@CommandHandler(HandleAgentCommand)
export class HandleAgentCommandHandler implements ICommandHandler<HandleAgentCommand, AgentCommandResult> {
  constructor(private readonly ledger: AgentLedger) {}

  execute({ agentId, command, why }: HandleAgentCommand): Promise<AgentCommandResult> {
    return this.ledger.execute(agentId, command, why);
  }
}
