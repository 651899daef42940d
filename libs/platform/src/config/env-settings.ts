import { ConfigError } from './config-error';
import { parseDuration } from './duration';

export type Env = Record<string, string | undefined>;

/**
 * The readers of one group of settings, each naming its variable when the value is bad. A
 * variable unset or empty takes the group's default.
 */
export const settingsReader = <K extends string>(defaults: Readonly<Record<K, string>>) => {
  const read = (env: Env, key: K): string => {
    const value = env[key];
    return value === undefined || value === '' ? defaults[key] : value;
  };
  const wholeNumber = (env: Env, key: K, min: number, max: number): number => {
    const text = read(env, key);
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(key, `"${text}" is not a whole number between ${min} and ${max}`);
    }
    return value;
  };
  const duration = (env: Env, key: K, max = Number.MAX_SAFE_INTEGER): number => {
    const text = read(env, key);
    const value = parseDuration(text);
    if (value === undefined) throw new ConfigError(key, `"${text}" is not a duration such as 500ms, 90s, 20m, 2h or 30d`);
    if (value > max) throw new ConfigError(key, `"${text}" is longer than ${max} ms`);
    return value;
  };
  /** A URL of one of `protocols` (`https:`), or undefined when unset; `example` shows what is expected. */
  const url = (env: Env, key: K, protocols: readonly string[], example: string): string | undefined => {
    const text = read(env, key);
    if (text === '') return undefined;
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new ConfigError(key, `is not a URL such as ${example}`);
    }
    if (!protocols.includes(parsed.protocol)) throw new ConfigError(key, `must be a ${protocols[0]}// URL, not ${parsed.protocol}//`);
    return text;
  };
  return { read, wholeNumber, duration, url };
};
