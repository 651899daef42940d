/**
 * The Nest injection token of the service's configuration. The configuration itself (AppConfig,
 * loadConfig and its validation) lives in @lib/platform, shared with the operator CLI.
 */
export const APP_CONFIG = Symbol('APP_CONFIG');
