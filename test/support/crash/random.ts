/** A seeded pseudo-random source (mulberry32): the same seed gives the same choices, so a run can be repeated. */
export type Random = () => number;

export const seededRandom = (seed: number): Random => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** An independent stream derived from a seed and a name (one per worker), so workers do not share one sequence. */
export const derivedRandom = (seed: number, name: string): Random => {
  let hash = seed >>> 0;
  for (const char of name) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return seededRandom(hash);
};

export const pickOne = <T>(random: Random, items: readonly T[]): T => {
  if (items.length === 0) throw new Error('pickOne of nothing');
  return items[Math.floor(random() * items.length)];
};

/** One of the choices, each as likely as its weight. */
export const weighted = <T>(random: Random, choices: ReadonlyArray<readonly [T, number]>): T => {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [choice, weight] of choices) {
    roll -= weight;
    if (roll < 0) return choice;
  }
  return choices[choices.length - 1][0];
};

export const between = (random: Random, min: number, max: number): number => min + random() * (max - min);

/** CRASH_SEED if set (decimal), else the default. */
export const seedFromEnv = (fallback: number): number => {
  const text = process.env.CRASH_SEED;
  if (text === undefined || text.trim() === '') return fallback;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`CRASH_SEED must be a non-negative integer, got "${text}"`);
  return seed;
};

/** A positive integer from the environment, or the default. */
export const countFromEnv = (name: string, fallback: number, min = 1, max = 1000): number => {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  return value;
};
