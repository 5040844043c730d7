/**
 * Every setting Custodia reads, in one place: its name in a config file, its environment
 * variable, its type and its default. Nothing else in the code reads `process.env`.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseSmppUrl } from '../channels/sms/smpp-url.js';
import { parseSmtpUrl } from '../channels/email/smtp-url.js';
import { assertProviderUrl } from '../channels/sms/http-provider.js';

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);

/** An IP address or CIDR block (v4 or v6). */
function isAddressOrCidr(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

/** `true`/`false`, or the comma-separated addresses/CIDRs of the proxies to trust. */
const trustProxy = z.union([
  bool,
  z
    .string()
    .max(4096)
    .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
    .refine((list) => list.length > 0 && list.every(isAddressOrCidr), 'must be true, false, or a comma-separated list of IP addresses/CIDR blocks'),
  z.array(z.string().max(64)).min(1).max(100).refine((list) => list.every(isAddressOrCidr), 'must list IP addresses/CIDR blocks'),
]);

/** A DNS server: an IP address, or `ip:port` (`[v6]:port` for IPv6), as node:dns's setServers takes. */
function isDnsServer(value: string): boolean {
  if (isIP(value) !== 0) return true;
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(value);
  if (match === null || Number(match[3]) > 65_535) return false;
  const host = match[1] ?? match[2] ?? '';
  return isIP(host) === (match[1] !== undefined ? 6 : 4);
}

/** Comma-separated (environment) or a list (config file) of DNS servers. */
const dnsServers = z.union([
  z
    .string()
    .max(1024)
    .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
    .refine((list) => list.length > 0 && list.length <= 8 && list.every(isDnsServer), 'must be 1 to 8 comma-separated DNS servers: ip, ip:port or [ipv6]:port'),
  z.array(z.string().max(64)).min(1).max(8).refine((list) => list.every(isDnsServer), 'must list DNS servers: ip, ip:port or [ipv6]:port'),
]);

const postgresUrl = z
  .string()
  .min(1)
  .max(2048)
  .refine((v) => /^postgres(ql)?:\/\//.test(v) && URL.canParse(v), 'must be a postgres:// or postgresql:// URL');
const redisUrl = z
  .string()
  .min(1)
  .max(2048)
  .refine((v) => /^rediss?:\/\//.test(v) && URL.canParse(v), 'must be a redis:// or rediss:// URL');
const httpUrl = z
  .string()
  .max(2048)
  .refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), 'must be an http:// or https:// URL')
  .transform((v) => v.replace(/\/+$/, ''));

/** The settings, as written in a config file (camelCase keys). */
export const configSchema = z.strictObject({
  nodeEnv: z.enum(['development', 'test', 'production']).default('development'),
  port: port.default(8080),
  /** Loopback by default: exposing the server on a network is a decision, not an accident. */
  host: z.string().min(1).max(255).default('127.0.0.1'),
  /** Base URL that people reach the server at; used in links Custodia prints or sends. */
  publicUrl: httpUrl.optional(),
  dataDir: z.string().min(1).max(4096).default('./data'),
  databaseUrl: postgresUrl.optional(),
  /** Login that applies migrations (the tables' owner); defaults to `databaseUrl`. */
  migrationDatabaseUrl: postgresUrl.optional(),
  databasePoolMax: positiveInt(200).default(10),
  /** How long a request waits for a database connection before answering 503. */
  databaseConnectTimeoutMs: positiveInt(120_000).default(5_000),
  redisUrl: redisUrl.optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest accepted request body, in bytes (1 MiB, as Fastify's own default). */
  bodyLimitBytes: positiveInt(64 * 1024 * 1024).default(1_048_576),
  /**
   * Trust X-Forwarded-* (needed for HSTS behind a TLS-terminating proxy): `true` trusts every
   * peer; a list of addresses/CIDRs trusts only those proxies.
   */
  trustProxy: trustProxy.default(false),
  /** Time allowed for in-flight requests to finish on SIGTERM before the process exits anyway. */
  shutdownTimeoutMs: positiveInt(600_000).default(10_000),
  /**
   * Time a client has to send a whole request, headers and body: a slower one (a slow-loris
   * attack, a stalled upload) gets 408 `request.timeout` and is disconnected.
   */
  requestTimeoutMs: positiveInt(600_000).default(30_000),
  /**
   * How long an idle keep-alive connection stays open between requests. Longer than the 60 s
   * idle timeout common in proxies and load balancers, so that they close first.
   */
  keepAliveTimeoutMs: positiveInt(600_000).default(72_000),
  /** A connection with no traffic either way for this long is closed (a client that stops reading). */
  connectionTimeoutMs: positiveInt(3_600_000).default(120_000),
  /** Lifetime of one-time invitation links. */
  invitationTtlHours: positiveInt(24 * 30).default(72),
  /** Where the key-encryption keys come from (see docs/configuration.md). */
  keyProvider: z.enum(['local', 'env']).default('local'),
  /** Key file of the `local` provider; defaults to `<dataDir>/keys/master.key`. */
  keyFile: z.string().min(1).max(4096).optional(),
  /** Versioned keys of the `env` provider, e.g. `2:base64,1:base64`. A secret: never printed. */
  keys: z.string().min(1).max(16_384).optional(),
  /** Unwrapped data and tenant keys kept in memory (LRU); 0 disables the cache. */
  vaultKeyCacheEntries: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  /** How long an unwrapped key stays cached before it is zeroed. */
  vaultKeyCacheTtlMs: positiveInt(86_400_000).default(300_000),
  /** Bytes kept of each blind-index HMAC: fewer leak less and match falsely more often. */
  blindIndexBytes: z.coerce.number().int().min(2).max(32).default(8),
  /**
   * Pause between the background job worker's polls (key rotation and other queued work); 0 runs
   * no worker in this process (then another process, or the CLI, must run the jobs).
   */
  jobPollIntervalMs: z.coerce.number().int().min(0).max(3_600_000).default(2_000),
  /**
   * Pause between runs of the retention job (purges values past their field's retention and the
   * records that leaves empty); 0 runs none in this process.
   */
  retentionIntervalMs: z.coerce.number().int().min(0).max(86_400_000).default(3_600_000),
  /** The ledger signs a checkpoint once this many entries were added since the last one... */
  ledgerCheckpointEvery: positiveInt(1_000_000).default(1_000),
  /** ...or once this much time passed, if anything was added. */
  ledgerCheckpointIntervalMs: positiveInt(86_400_000).default(60_000),
  /** Pause between the ledger sequencer's polls (queued entries enter the tree within about this). */
  ledgerSequenceIntervalMs: positiveInt(60_000).default(200),
  /** Where signed checkpoints are copied: a file path (JSON lines) or an http(s) URL (POST). */
  ledgerWitness: z
    .string()
    .min(1)
    .max(4096)
    .refine((v) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || (/^https?:\/\//.test(v) && URL.canParse(v)), 'must be a file path or an http:// or https:// URL')
    .optional(),
  /** SMS gateway (SMPP 3.4): `smpp://system_id:password@host:port?source=Sender` (`smpps://` for TLS). A secret. */
  smppUrl: z
    .string()
    .min(1)
    .max(2048)
    .superRefine((value, ctx) => {
      try {
        parseSmppUrl(value);
      } catch (error) {
        // parseSmppUrl's messages never repeat the password.
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .optional(),
  /** Mail server for customer codes by email: `smtp://user:password@host[:port]` (STARTTLS) or `smtps://` (TLS). A secret. */
  smtpUrl: z
    .string()
    .min(1)
    .max(2048)
    .superRefine((value, ctx) => {
      try {
        parseSmtpUrl(value);
      } catch (error) {
        // parseSmtpUrl's messages never repeat the URL.
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .optional(),
  /** The From of those emails. */
  smtpFrom: z.string().min(3).max(320).regex(/^[^\r\n]*@[^\r\n]*$/, 'an address, optionally with a display name: Custodia <no-reply@example.com>').default('Custodia <no-reply@custodia.invalid>'),
  /** `required` (default): no STARTTLS, no email. `optional`: a relay on the same host that offers none. */
  smtpStarttls: z.enum(['required', 'optional']).default('required'),
  /** PEM file of the CA(s) to trust for the mail server instead of Node's (a private relay). */
  smtpCaFile: z.string().min(1).max(4096).optional(),
  /** An HTTP SMS provider for customer codes (used instead of SMPP for them when set). */
  smsHttpUrl: z
    .string()
    .min(1)
    .max(2048)
    .superRefine((value, ctx) => {
      try {
        assertProviderUrl(value, 'SMS provider URL');
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .optional(),
  /** Bearer token for the HTTP SMS provider. A secret. */
  smsHttpToken: z.string().min(1).max(4096).optional(),
  /** Webhook that places voice calls reading a code out (src/channels/voice/). */
  voiceHookUrl: z
    .string()
    .min(1)
    .max(2048)
    .superRefine((value, ctx) => {
      try {
        assertProviderUrl(value, 'voice-call hook URL');
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .optional(),
  /** Bearer token for the voice-call hook. A secret. */
  voiceHookToken: z.string().min(1).max(4096).optional(),
  /** Resolvers for the mail-exchanger check of customers' email domains; the system's when absent. */
  dnsServers: dnsServers.optional(),
  /** Country assumed for phone numbers written without `+` (ISO 3166-1 alpha-2), e.g. `ES`. */
  defaultPhoneCountry: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as ES or BR')
    .optional(),
});

export type Config = z.output<typeof configSchema>;
export type ConfigKey = keyof Config;

/** Settings whose values are secrets: never echoed in errors, logs or `--json` output. */
export const secretSettings: ReadonlySet<ConfigKey> = new Set(['keys', 'databaseUrl', 'migrationDatabaseUrl', 'redisUrl', 'smppUrl', 'smtpUrl', 'smsHttpToken', 'voiceHookToken']);

/**
 * Environment variable for each setting. Variables outside this table that start with
 * `CUSTODIA_` are rejected, so a misspelt setting fails loudly instead of being ignored.
 */
export const environmentNames: Readonly<Record<ConfigKey, string>> = {
  nodeEnv: 'NODE_ENV',
  port: 'PORT',
  host: 'HOST',
  publicUrl: 'CUSTODIA_PUBLIC_URL',
  dataDir: 'CUSTODIA_DATA_DIR',
  databaseUrl: 'DATABASE_URL',
  migrationDatabaseUrl: 'CUSTODIA_MIGRATION_DATABASE_URL',
  databasePoolMax: 'CUSTODIA_DATABASE_POOL_MAX',
  databaseConnectTimeoutMs: 'CUSTODIA_DATABASE_CONNECT_TIMEOUT_MS',
  redisUrl: 'REDIS_URL',
  logLevel: 'LOG_LEVEL',
  bodyLimitBytes: 'CUSTODIA_BODY_LIMIT_BYTES',
  trustProxy: 'CUSTODIA_TRUST_PROXY',
  shutdownTimeoutMs: 'CUSTODIA_SHUTDOWN_TIMEOUT_MS',
  requestTimeoutMs: 'CUSTODIA_REQUEST_TIMEOUT_MS',
  keepAliveTimeoutMs: 'CUSTODIA_KEEP_ALIVE_TIMEOUT_MS',
  connectionTimeoutMs: 'CUSTODIA_CONNECTION_TIMEOUT_MS',
  invitationTtlHours: 'CUSTODIA_INVITATION_TTL_HOURS',
  keyProvider: 'CUSTODIA_KEY_PROVIDER',
  keyFile: 'CUSTODIA_KEY_FILE',
  keys: 'CUSTODIA_KEYS',
  vaultKeyCacheEntries: 'CUSTODIA_VAULT_KEY_CACHE_ENTRIES',
  jobPollIntervalMs: 'CUSTODIA_JOB_POLL_INTERVAL_MS',
  retentionIntervalMs: 'CUSTODIA_RETENTION_INTERVAL_MS',
  ledgerCheckpointEvery: 'CUSTODIA_LEDGER_CHECKPOINT_EVERY',
  ledgerCheckpointIntervalMs: 'CUSTODIA_LEDGER_CHECKPOINT_INTERVAL_MS',
  ledgerSequenceIntervalMs: 'CUSTODIA_LEDGER_SEQUENCE_INTERVAL_MS',
  ledgerWitness: 'CUSTODIA_LEDGER_WITNESS',
  vaultKeyCacheTtlMs: 'CUSTODIA_VAULT_KEY_CACHE_TTL_MS',
  blindIndexBytes: 'CUSTODIA_BLIND_INDEX_BYTES',
  smppUrl: 'CUSTODIA_SMPP_URL',
  defaultPhoneCountry: 'CUSTODIA_DEFAULT_PHONE_COUNTRY',
  smtpUrl: 'CUSTODIA_SMTP_URL',
  smtpFrom: 'CUSTODIA_SMTP_FROM',
  smtpStarttls: 'CUSTODIA_SMTP_STARTTLS',
  smtpCaFile: 'CUSTODIA_SMTP_CA_FILE',
  smsHttpUrl: 'CUSTODIA_SMS_HTTP_URL',
  smsHttpToken: 'CUSTODIA_SMS_HTTP_TOKEN',
  voiceHookUrl: 'CUSTODIA_VOICE_HOOK_URL',
  voiceHookToken: 'CUSTODIA_VOICE_HOOK_TOKEN',
  dnsServers: 'CUSTODIA_DNS_SERVERS',
};

/** Variable naming the optional JSON config file; read by the loader, not a setting itself. */
export const CONFIG_FILE_VARIABLE = 'CUSTODIA_CONFIG';
