import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthConfig } from '@lib/platform';
import { ACTION_KEY, PUBLIC_KEY, type AuthenticatedRequest } from './auth.decorators';
import { AuthError, forbidden } from './auth.errors';
import { allowedRoles, type ApiAction } from './permissions';
import { TokenVerifier } from './token-verifier';

export const AUTH_CONFIG = Symbol('AUTH_CONFIG');

/** @fastify/rate-limit's check: `isExceeded` after counting this request; `remaining` when only reading. */
type Limiter = (
  request: FastifyRequest,
  options?: { increment?: boolean },
) => Promise<{ isAllowed: boolean; isExceeded?: boolean; remaining?: number; ttlInSeconds?: number }>;

const tooMany = (ttlInSeconds: number | undefined, message: string) =>
  new AuthError('AUTH.TOO_MANY_REQUESTS', message, { retryAfterSeconds: Math.max(1, ttlInSeconds ?? 60) });

/**
 * Every request but @Public ones: a verified bearer token, within its rate limits, holding a
 * role the route's action allows (PERMISSIONS). Relations to the thing acted on are checked
 * where it is known (controllers, deciders). Failed authentications are limited per client
 * address, the rest per principal.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private limiters?: { perPrincipal: Limiter; failuresPerAddress: Limiter };

  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const action = this.reflector.getAllAndOverride<ApiAction | undefined>(ACTION_KEY, targets);
    if (action === undefined) throw forbidden('This route states no permission; it is refused until it does');
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const { perPrincipal, failuresPerAddress } = this.limitersOf();

    // Read without counting: an address that used up its failures waits, whatever it sends now.
    const failures = await failuresPerAddress(request, { increment: false });
    if (!failures.isAllowed && failures.remaining === 0)
      throw tooMany(failures.ttlInSeconds, 'Too many failed authentications from this address; wait before retrying');
    let principal;
    try {
      principal = await this.verifier.verify(request.headers.authorization);
    } catch (error) {
      // An identity provider that cannot be reached is no failure of the caller's.
      if (!(error instanceof AuthError && error.code === 'AUTH.PROVIDER_UNAVAILABLE')) await failuresPerAddress(request);
      throw error;
    }
    request.principal = principal;
    const limit = await perPrincipal(request);
    if (!limit.isAllowed && limit.isExceeded) throw tooMany(limit.ttlInSeconds, `Too many requests from ${principal.id}; slow down`);
    allowedRoles(principal, action);
    return true;
  }

  private limitersOf() {
    if (!this.limiters) {
      // @fastify/rate-limit, registered in createApp: its store and key handling, two limits of ours.
      const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance & { createRateLimit(options: object): Limiter }>();
      this.limiters = {
        perPrincipal: fastify.createRateLimit({
          max: this.config.rateLimitPerMinute,
          timeWindow: 60_000,
          keyGenerator: (request: AuthenticatedRequest) => `principal:${request.principal?.id ?? ''}`,
        }),
        failuresPerAddress: fastify.createRateLimit({
          max: this.config.authFailuresPerMinute,
          timeWindow: 60_000,
          keyGenerator: (request: FastifyRequest) => `address:${request.ip}`,
        }),
      };
    }
    return this.limiters;
  }
}
