import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CLOCK, type Clock } from '@lib/conversation-lifecycle';
import { type AppConfig, generateSigningKey, loadOrCreateSigningKey, type SigningKey } from '@lib/platform';
import { AUTH_CONFIG, AuthGuard } from './auth.guard';
import { TokenVerifier } from './token-verifier';
import { ConversationAccess } from './conversation-access';

/**
 * Who is calling: the token verifier (the embedded key in DATA_DIR, or the identity
 * provider's JWKS), the guard on every route, and the relation checks.
 */
@Module({})
export class AuthModule {
  static forConfig(config: AppConfig, signingKey?: SigningKey): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [
        { provide: AUTH_CONFIG, useValue: config },
        {
          provide: TokenVerifier,
          inject: [CLOCK],
          useFactory: async (clock: Clock) => {
            const now = () => clock.now();
            if (config.authJwksUrl) return new TokenVerifier(config, undefined, now);
            return new TokenVerifier(config, signingKey ?? (await AuthModule.embeddedKey(config)), now);
          },
        },
        { provide: APP_GUARD, useClass: AuthGuard },
        ConversationAccess,
      ],
      exports: [TokenVerifier, ConversationAccess],
    };
  }

  private static async embeddedKey(config: AppConfig): Promise<SigningKey> {
    if (config.eventStore === 'memory') {
      // Nothing of an in-memory service outlives it, its key neither: tokens come from the tests that start it.
      new Logger('Auth').warn('EVENT_STORE=memory: the signing key lives in memory only; `npm run cli -- token` cannot sign for it');
      return (await generateSigningKey()).key;
    }
    return loadOrCreateSigningKey(config.dataDir);
  }
}
