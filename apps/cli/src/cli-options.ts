type Kind = 'integer' | 'time' | 'string';
type Value<K extends Kind> = K extends 'integer' ? number : string;

/**
 * Parses `--name value` options of the given kinds; anything unknown, repeated, missing its
 * value or malformed is an error naming the option, so a typo never runs with defaults.
 */
export const parseOptions = <Spec extends Record<string, Kind>>(
  args: string[],
  spec: Spec,
): { [K in keyof Spec]?: Value<Spec[K]> } => {
  const result: Record<string, number | string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i];
    const name = flag.startsWith('--') ? flag.slice(2) : '';
    const kind = spec[name];
    if (!kind) throw new Error(`unknown option ${flag}; known: ${Object.keys(spec).map((k) => `--${k}`).join(', ')}`);
    if (name in result) throw new Error(`--${name} is given twice`);
    const text = args[i + 1];
    if (text === undefined || text.startsWith('--')) throw new Error(`--${name} needs a value`);
    if (kind === 'integer') {
      const value = Number(text);
      if (!Number.isSafeInteger(value)) throw new Error(`--${name} must be a whole number, got ${text}`);
      result[name] = value;
    } else if (kind === 'time') {
      if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(text) || Number.isNaN(Date.parse(text))) {
        throw new Error(`--${name} must be an ISO-8601 time with a UTC offset, such as 2026-11-20T08:00:00Z; got ${text}`);
      }
      result[name] = new Date(Date.parse(text)).toISOString();
    } else {
      result[name] = text;
    }
  }
  return result as { [K in keyof Spec]?: Value<Spec[K]> };
};
