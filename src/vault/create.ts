/**
 * Builds the vault from the configuration: the key provider (`local` key file or `env` keys),
 * the key cache and the keyring. In development the local key file is created on first use; in
 * production it must already exist (the operator decides where keys live).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CountryCode } from 'libphonenumber-js';
import type { Config } from '../config/index.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { KeyCache } from './key-cache.js';
import { createEnvKeyProvider } from './key-providers/env-provider.js';
import type { KeyProvider } from './key-providers/key-provider.js';
import { createLocalKeyFile, loadLocalKeyProvider } from './key-providers/local-provider.js';
import { Keyring } from './keyring.js';
import { Vault } from './vault.js';

/** The local key file: `CUSTODIA_KEY_FILE`, or `<dataDir>/keys/master.key`. */
export function localKeyFile(config: Config): string {
  return path.resolve(config.keyFile ?? path.join(config.dataDir, 'keys', 'master.key'));
}

/** Creates the local key file if it does not exist; returns its path and whether it was created. */
export function ensureLocalKeyFile(config: Config): { file: string; created: boolean } {
  const file = localKeyFile(config);
  if (existsSync(file)) return { file, created: false };
  createLocalKeyFile(file);
  return { file, created: true };
}

export function createKeyProvider(config: Config, logger: Logger): KeyProvider {
  if (config.keyProvider === 'env') return createEnvKeyProvider(config.keys);
  if (config.nodeEnv !== 'production') {
    const { file, created } = ensureLocalKeyFile(config);
    if (created) logger.info({ file }, 'created a local root key file; back it up: without it the encrypted data is lost');
  }
  return loadLocalKeyProvider(localKeyFile(config));
}

export function createVault(config: Config, deps: { clock: Clock; logger: Logger; provider?: KeyProvider }): Vault {
  const provider = deps.provider ?? createKeyProvider(config, deps.logger);
  const cache = new KeyCache(config.vaultKeyCacheEntries, config.vaultKeyCacheTtlMs, deps.clock);
  return new Vault({
    keyring: new Keyring(provider, cache, deps.clock),
    clock: deps.clock,
    blindIndexBytes: config.blindIndexBytes,
    defaultPhoneCountry: config.defaultPhoneCountry as CountryCode | undefined,
  });
}
