import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags, type ApiPropertyOptions } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AppConfig } from '@lib/platform';
import { Public } from '../auth/auth.decorators';
import { APP_CONFIG } from '../config/app-config';
import { ANY_ROUTE, ApiAnswer, ApiErrors } from '../http/api-responses';

export interface DeskOidc {
  issuer: string;
  clientId: string;
  scopes: string[];
  resource?: string;
}

/** Stated inline: OpenAPI 3.0 lets an object be null only where its schema says `type: object` itself. */
const DESK_OIDC_SCHEMA = {
  type: 'object',
  nullable: true,
  additionalProperties: false,
  required: ['issuer', 'clientId', 'scopes'],
  properties: {
    issuer: {
      type: 'string',
      description: 'The identity provider (AUTH_ISSUER): its endpoints are at <issuer>/.well-known/openid-configuration',
      example: 'https://idp.example.com/realms/acme',
    },
    clientId: {
      type: 'string',
      description: "The desk's public client id (DESK_OIDC_CLIENT_ID): no secret, PKCE instead",
      example: 'agent-desk',
    },
    scopes: {
      type: 'array',
      items: { type: 'string' },
      description: 'The scopes to ask for (DESK_OIDC_SCOPES)',
      example: ['openid', 'profile'],
    },
    resource: {
      type: 'string',
      description: 'RFC 8707 resource indicator to send with the authorization request (DESK_OIDC_RESOURCE), when set',
      example: 'https://work-items.example.com/api',
    },
  },
} satisfies ApiPropertyOptions;

export class DeskConfigDto {
  @ApiProperty({
    ...DESK_OIDC_SCHEMA,
    description:
      'OpenID Connect sign-in (authorization code with PKCE) when configured; null: sign in with login links of the embedded issuer',
  })
  oidc!: DeskOidc | null;

  @ApiProperty({
    description:
      "Where the roles are in an access token (AUTH_ROLES_CLAIM, a dotted path allowed): the desk reads them to choose the principal's screen",
    example: 'roles',
  })
  rolesClaim!: string;
}

/**
 * What the agent desk (apps/desk) needs to know before anyone signs in: how to sign in. Public,
 * like /health: it names the identity provider and the desk's public client id, which every
 * browser that signs in sees anyway, and nothing secret.
 */
@ApiTags('desk')
@Public()
@ApiErrors(ANY_ROUTE)
@Controller('api/desk')
export class DeskConfigController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get('config')
  @ApiOperation({
    summary:
      "How the agent desk signs in: the identity provider's issuer, the desk's public client id and scopes (OpenID Connect, " +
      'authorization code with PKCE), or null when only login links of the embedded issuer sign in; and where the roles are in a token. No credentials needed.',
  })
  @ApiAnswer(200, DeskConfigDto, 'How to sign in')
  deskConfig(@Res({ passthrough: true }) reply: FastifyReply): DeskConfigDto {
    // Revalidated on every load, like the desk's index.html: a changed setting shows at the next load.
    void reply.header('cache-control', 'no-cache');
    const oidc = this.config.deskOidc;
    return {
      oidc: oidc
        ? {
            issuer: this.config.authIssuer,
            clientId: oidc.clientId,
            scopes: oidc.scopes,
            ...(oidc.resource ? { resource: oidc.resource } : {}),
          }
        : null,
      rolesClaim: this.config.authRolesClaim,
    };
  }
}
