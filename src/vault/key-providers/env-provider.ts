/**
 * The `env` key provider: root keys in `CUSTODIA_KEYS` as `version:base64` entries separated by
 * commas, e.g. `2:q83v...=,1:Zm9v...=`. Parsed strictly: versions are positive integers without
 * leading zeros and appear once; each key is canonical base64 of exactly 32 bytes. The highest
 * version wraps new keys; older ones stay for unwrapping until nothing depends on them.
 */
import { AppError } from '../../platform/errors.js';
import { VaultErrors } from '../errors.js';
import { SecretKey } from '../secret-key.js';
import { InProcessRootKeys } from './root-keys.js';

const ENTRY = /^([1-9][0-9]{0,8}):([A-Za-z0-9+/]+={0,2})$/;

export function parseVersionedKeys(value: string, source: string): Map<number, SecretKey> {
  return parseKeyEntries(value.split(',').map((e) => e.trim()), source);
}

/**
 * Parses entries that are each exactly `version:base64` (no separators, no whitespace). On any
 * error the keys decoded so far are zeroed before the error is thrown.
 */
export function parseKeyEntries(entries: readonly string[], source: string): Map<number, SecretKey> {
  const keys = new Map<number, SecretKey>();
  try {
    for (const [index, entry] of entries.entries()) {
      const match = ENTRY.exec(entry);
      // Messages name the entry's position, never its content: it is key material.
      if (match === null) throw invalid(`${source}: entry ${index + 1} is not "version:base64"`);
      const version = Number(match[1]);
      const encoded = match[2] as string;
      const bytes = Buffer.from(encoded, 'base64');
      let problem: string | undefined;
      if (bytes.toString('base64') !== encoded) problem = `${source}: entry ${index + 1} is not canonical base64`;
      else if (bytes.length !== 32) problem = `${source}: key version ${version} is ${bytes.length} bytes; 32 are required`;
      else if (keys.has(version)) problem = `${source}: key version ${version} appears twice`;
      if (problem !== undefined) {
        bytes.fill(0);
        throw invalid(problem);
      }
      keys.set(version, new SecretKey(bytes));
    }
  } catch (error) {
    for (const key of keys.values()) key.destroy();
    throw error;
  }
  return keys;
}

export function createEnvKeyProvider(value: string | undefined): InProcessRootKeys {
  if (value === undefined || value.trim() === '') throw invalid('CUSTODIA_KEYS is empty');
  return new InProcessRootKeys('env', parseVersionedKeys(value, 'CUSTODIA_KEYS'));
}

function invalid(detail: string): AppError {
  return new AppError(VaultErrors.invalid_key_material, { detail });
}
