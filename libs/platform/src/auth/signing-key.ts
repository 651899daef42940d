import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, type KeyLike } from 'jose';

/** The embedded key's file in DATA_DIR: the private key as a JWK, readable by the service's user only. */
export const SIGNING_KEY_FILE = 'signing-key.jwk.json';
/** The one algorithm of the embedded key (Ed25519). */
export const EMBEDDED_ALGORITHM = 'EdDSA';

export interface SigningKey {
  kid: string;
  privateKey: KeyLike;
  publicKey: KeyLike;
}

const fromPrivateJwk = async (jwk: JWK): Promise<SigningKey> => {
  const { d: _private, ...publicJwk } = jwk;
  return {
    kid: jwk.kid as string,
    privateKey: (await importJWK(jwk, EMBEDDED_ALGORITHM)) as KeyLike,
    publicKey: (await importJWK(publicJwk, EMBEDDED_ALGORITHM)) as KeyLike,
  };
};

/** A fresh key pair, kept only in memory (the in-memory store, tests). */
export const generateSigningKey = async (): Promise<{ key: SigningKey; jwk: JWK }> => {
  const { privateKey } = await generateKeyPair(EMBEDDED_ALGORITHM, { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  jwk.alg = EMBEDDED_ALGORITHM;
  return { key: await fromPrivateJwk(jwk), jwk };
};

/** The key in DATA_DIR, or undefined when there is none yet (the CLI never creates one). */
export const readSigningKey = async (dataDir: string): Promise<SigningKey | undefined> => {
  const file = join(dataDir, SIGNING_KEY_FILE);
  if (!existsSync(file)) return undefined;
  return fromPrivateJwk(JSON.parse(readFileSync(file, 'utf8')) as JWK);
};

/**
 * The service's own signing key: created on first start (mode 0600; `wx` so two instances
 * starting at once keep the first one written), then read at every start.
 */
export const loadOrCreateSigningKey = async (dataDir: string): Promise<SigningKey> => {
  const existing = await readSigningKey(dataDir);
  if (existing) return existing;
  mkdirSync(dataDir, { recursive: true });
  const { jwk } = await generateSigningKey();
  try {
    writeFileSync(join(dataDir, SIGNING_KEY_FILE), JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return (await readSigningKey(dataDir)) as SigningKey;
};
