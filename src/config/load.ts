/**
 * Builds the typed configuration from defaults, an optional JSON config file and the
 * environment (the environment wins). Any problem becomes a {@link ConfigError} naming the
 * setting and where it came from; the CLI turns it into exit code 2.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { defineErrors } from '../platform/errors.js';
import { CONFIG_FILE_VARIABLE, type Config, type ConfigKey, configSchema, environmentNames, secretSettings } from './schema.js';

/** The CLI reports an invalid configuration with this code (exit code 2); never sent over HTTP. */
export const ConfigErrors = defineErrors('config', {
  invalid: { status: 400, title: 'The configuration is invalid' },
});

export interface ConfigProblem {
  /** The setting as the user wrote it: an environment variable or `file:key`. */
  readonly setting: string;
  readonly message: string;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p.setting}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadConfigOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file; overrides `CUSTODIA_CONFIG`. */
  readonly configFile?: string;
  /** Values that win over everything (CLI flags such as `--port`). */
  readonly overrides?: Partial<Record<ConfigKey, unknown>>;
}

const envToKey = new Map<string, ConfigKey>(
  (Object.entries(environmentNames) as [ConfigKey, string][]).map(([key, name]) => [name, key]),
);

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const problems: ConfigProblem[] = [];
  const raw: Record<string, unknown> = {};
  const origin = new Map<string, string>();

  const file = options.configFile ?? nonEmpty(env[CONFIG_FILE_VARIABLE]);
  if (file !== undefined) {
    const fromFile = readConfigFile(file, problems);
    for (const [key, value] of Object.entries(fromFile)) {
      raw[key] = value;
      origin.set(key, `${file}:${key}`);
    }
  }

  for (const [name, value] of Object.entries(env)) {
    const key = envToKey.get(name);
    if (key !== undefined) {
      // An empty variable means "not set", as shells and container runtimes commonly export them.
      if (value === undefined || value === '') continue;
      raw[key] = value;
      origin.set(key, name);
    } else if (name.startsWith('CUSTODIA_') && name !== CONFIG_FILE_VARIABLE) {
      problems.push({ setting: name, message: 'unknown setting (see docs/configuration.md for the list)' });
    }
  }

  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) continue;
    raw[key] = value;
    origin.set(key, `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) problems.push(...describeIssues(parsed.error.issues, origin));
  if (problems.length > 0) throw new ConfigError(problems);
  const config = parsed.data as Config;

  problems.push(...consistencyRules(config, origin), ...productionRules(config, origin));
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

function readConfigFile(file: string, problems: ConfigProblem[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    problems.push({ setting: CONFIG_FILE_VARIABLE, message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` });
    return {};
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push({ setting: file, message: 'must contain one JSON object' });
      return {};
    }
    return { ...(value as Record<string, unknown>) };
  } catch {
    problems.push({ setting: file, message: 'is not valid JSON' });
    return {};
  }
}

function describeIssues(issues: readonly z.core.$ZodIssue[], origin: ReadonlyMap<string, string>): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ setting: origin.get(key) ?? key, message: 'unknown setting' });
      continue;
    }
    const key = String(issue.path[0] ?? '');
    const setting = origin.get(key) ?? environmentNames[key as ConfigKey] ?? key;
    // zod messages describe the expectation, not the received value, so secrets are not echoed.
    const message = secretSettings.has(key as ConfigKey) ? 'invalid value' : issue.message;
    out.push({ setting, message });
  }
  return out;
}

/** Settings that make no sense together (a provider's keys given to the other provider...). */
function consistencyRules(config: Config, origin: ReadonlyMap<string, string>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.migrationDatabaseUrl !== undefined && config.databaseUrl === undefined) {
    problems.push({ setting: origin.get('migrationDatabaseUrl') ?? environmentNames.migrationDatabaseUrl, message: 'needs DATABASE_URL (the embedded database has no separate logins)' });
  }
  if (config.keyProvider === 'local' && config.keys !== undefined) {
    problems.push({ setting: origin.get('keys') ?? environmentNames.keys, message: 'is read only by the env key provider (CUSTODIA_KEY_PROVIDER=env)' });
  }
  if (config.keyProvider === 'env' && config.keyFile !== undefined) {
    problems.push({ setting: origin.get('keyFile') ?? environmentNames.keyFile, message: 'is read only by the local key provider (CUSTODIA_KEY_PROVIDER=local)' });
  }
  return problems;
}

/**
 * Production refuses implicit key material: a development key file created on the fly is fine on
 * a laptop, but in production the operator must say where the keys live.
 */
function productionRules(config: Config, origin: ReadonlyMap<string, string>): ConfigProblem[] {
  if (config.nodeEnv !== 'production') return [];
  const problems: ConfigProblem[] = [];
  if (!origin.has('keyProvider')) {
    problems.push({ setting: environmentNames.keyProvider, message: 'must be set explicitly in production (local or env)' });
  } else if (config.keyProvider === 'local' && config.keyFile === undefined) {
    problems.push({ setting: environmentNames.keyFile, message: 'must be set explicitly in production when CUSTODIA_KEY_PROVIDER=local' });
  } else if (config.keyProvider === 'env' && config.keys === undefined) {
    problems.push({ setting: environmentNames.keys, message: 'must be set in production when CUSTODIA_KEY_PROVIDER=env' });
  }
  return problems;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Resolved paths and URLs derived from the config, computed once. */
export function resolvedDataDir(config: Config): string {
  return path.resolve(config.dataDir);
}

export function publicUrlOf(config: Config, listeningPort?: number): string {
  if (config.publicUrl !== undefined) return config.publicUrl;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return `http://${shownHost}:${listeningPort ?? config.port}`;
}

/** The configuration with secrets replaced, safe to print or log. */
export function describeConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    out[key] = secretSettings.has(key as ConfigKey) && value !== undefined ? redactSecretSetting(key as ConfigKey, String(value)) : value;
  }
  return out;
}

function redactSecretSetting(key: ConfigKey, value: string): string {
  if (key === 'databaseUrl' || key === 'migrationDatabaseUrl' || key === 'redisUrl' || key === 'smppUrl') return redactUrl(value);
  return '[redacted]';
}

/**
 * A connection URL for messages and logs: scheme, user, host, port and path only. The password
 * is left out, and so is the whole query string and fragment, because drivers take secrets
 * there too (`?password=`, `?sslpassword=`, `?sslkey=`...).
 *
 * @example
 * ```ts
 * redactUrl('postgres://app:secret@db:5432/custodia?sslpassword=x'); // 'postgres://app@db:5432/custodia'
 * ```
 */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    const user = url.username === '' ? '' : `${url.username}@`;
    return `${url.protocol}//${user}${url.host}${url.pathname}`;
  } catch {
    return '[unparseable url]';
  }
}
