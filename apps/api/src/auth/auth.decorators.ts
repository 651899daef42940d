import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { PERMISSIONS, type ApiAction } from './permissions';
import type { Principal } from '@lib/platform';

export const ACTION_KEY = 'work-items:action';
export const PUBLIC_KEY = 'work-items:public';

/**
 * The action a route performs: who may call it is PERMISSIONS[action]. Every route states
 * either this or @Public; the guard refuses a route that states neither.
 */
export const Allow = (action: ApiAction) => {
  const roles = Object.entries(PERMISSIONS[action]).map(([role, relation]) => (relation === 'any' ? role : `${role} (${relation})`));
  return applyDecorators(
    SetMetadata(ACTION_KEY, action),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'AUTH.MISSING_CREDENTIALS or AUTH.INVALID_TOKEN (WWW-Authenticate: Bearer)' }),
    ApiForbiddenResponse({ description: `AUTH.FORBIDDEN unless the caller is ${roles.join(' or ')}` }),
  );
};

/** Open without credentials: health and the API documentation. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

/** The authenticated caller, set by the guard. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('No principal on an authenticated route: the AuthGuard did not run');
  return principal;
});
