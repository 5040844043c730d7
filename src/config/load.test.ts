/**
 * The configuration loader: defaults, a JSON config file, the environment (which wins), and the
 * refusals that make a misconfigured server fail at start instead of running half-configured.
 * Every test passes its own `env`, so the runner's environment never leaks in.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig, type LoadConfigOptions, redactUrl } from './load.js';

const dir = mkdtempSync(path.join(tmpdir(), 'custodia-config-'));
let files = 0;

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function configFile(content: unknown): string {
  files += 1;
  const file = path.join(dir, `config-${files}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** Loads and expects a ConfigError; returns it for assertions on the problems and message. */
function rejected(options: LoadConfigOptions): ConfigError {
  try {
    loadConfig(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the configuration to be rejected');
}

function settings(error: ConfigError): string[] {
  return error.problems.map((p) => p.setting);
}

describe('defaults', () => {
  it('listens on 127.0.0.1:8080 with data in ./data when nothing is set', () => {
    const config = loadConfig({ env: {} });
    expect(config.port).toBe(8080);
    expect(config.host).toBe('127.0.0.1');
    expect(config.dataDir).toBe('./data');
    expect(config.nodeEnv).toBe('development');
    expect(config.logLevel).toBe('info');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.keyProvider).toBe('local');
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(loadConfig({ env: {} }))).toBe(true);
  });

  it('ignores variables that are not settings, outside the CUSTODIA_ namespace', () => {
    expect(loadConfig({ env: { PATH: '/usr/bin', HOME: '/root', NPM_CONFIG_FOO: 'x' } }).port).toBe(8080);
  });
});

describe('environment variables', () => {
  it('override the defaults, with types coerced', () => {
    const config = loadConfig({
      env: {
        PORT: '9000',
        HOST: '0.0.0.0',
        CUSTODIA_DATA_DIR: '/var/lib/custodia',
        LOG_LEVEL: 'debug',
        DATABASE_URL: 'postgres://app@db.internal:5432/custodia',
        REDIS_URL: 'redis://cache.internal:6379',
        CUSTODIA_TRUST_PROXY: 'true',
        CUSTODIA_BODY_LIMIT_BYTES: '2048',
      },
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      dataDir: '/var/lib/custodia',
      logLevel: 'debug',
      databaseUrl: 'postgres://app@db.internal:5432/custodia',
      redisUrl: 'redis://cache.internal:6379',
      trustProxy: true,
      bodyLimitBytes: 2048,
    });
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig({ env: { PORT: '', CUSTODIA_DATA_DIR: '', DATABASE_URL: '', LOG_LEVEL: '', HOST: '' } });
    expect(config.port).toBe(8080);
    expect(config.dataDir).toBe('./data');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.logLevel).toBe('info');
    expect(config.host).toBe('127.0.0.1');
  });

  it('lets CLI overrides win over the environment', () => {
    expect(loadConfig({ env: { PORT: '9000' }, overrides: { port: '9100' } }).port).toBe(9100);
  });
});

describe('config file', () => {
  it('supplies values over the defaults', () => {
    const file = configFile({ port: 9001, host: '::1', logLevel: 'warn', dataDir: '/srv/custodia' });
    const config = loadConfig({ env: {}, configFile: file });
    expect(config).toMatchObject({ port: 9001, host: '::1', logLevel: 'warn', dataDir: '/srv/custodia' });
  });

  it('is found through CUSTODIA_CONFIG, which is not itself an unknown setting', () => {
    const file = configFile({ port: 9003 });
    expect(loadConfig({ env: { CUSTODIA_CONFIG: file } }).port).toBe(9003);
  });

  it('loses to the environment, setting by setting', () => {
    const file = configFile({ port: 9001, logLevel: 'warn' });
    const config = loadConfig({ env: { PORT: '9002' }, configFile: file });
    expect(config.port).toBe(9002);
    expect(config.logLevel).toBe('warn');
  });

  it('is not overridden by an empty environment variable', () => {
    const file = configFile({ port: 9001 });
    expect(loadConfig({ env: { PORT: '' }, configFile: file }).port).toBe(9001);
  });

  it('rejects an unknown key, naming it as file:key', () => {
    const file = configFile({ port: 9001, prot: 9002 });
    const error = rejected({ env: {}, configFile: file });
    expect(settings(error)).toEqual([`${file}:prot`]);
    expect(error.message).toContain(`${file}:prot`);
  });

  it('rejects an invalid value, naming it as file:key', () => {
    const file = configFile({ port: 'eighty' });
    const error = rejected({ env: {}, configFile: file });
    expect(settings(error)).toEqual([`${file}:port`]);
  });

  it('names the environment variable when the environment supplied the bad value', () => {
    const file = configFile({ port: 9001 });
    expect(settings(rejected({ env: { PORT: 'abc' }, configFile: file }))).toEqual(['PORT']);
  });

  it('rejects a file that is not a JSON object', () => {
    const file = configFile([1, 2]);
    expect(settings(rejected({ env: {}, configFile: file }))).toEqual([file]);
  });

  it('rejects a missing file, naming CUSTODIA_CONFIG', () => {
    const missing = path.join(dir, 'does-not-exist.json');
    const error = rejected({ env: { CUSTODIA_CONFIG: missing } });
    expect(settings(error)).toEqual(['CUSTODIA_CONFIG']);
    expect(error.message).toContain('ENOENT');
  });
});

describe('invalid settings', () => {
  it('rejects an unknown CUSTODIA_ variable, naming it', () => {
    const error = rejected({ env: { CUSTODIA_DATADIR: '/tmp/x' } });
    expect(settings(error)).toEqual(['CUSTODIA_DATADIR']);
    expect(error.message).toContain('CUSTODIA_DATADIR');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://db.internal/custodia'],
    ['DATABASE_URL', 'not a url'],
    ['REDIS_URL', 'http://cache.internal'],
    ['CUSTODIA_KEY_PROVIDER', 'vault'],
    ['NODE_ENV', 'staging'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    const error = rejected({ env: { [name]: value } });
    expect(settings(error)).toEqual([name]);
    expect(error.message).toContain(`${name}:`);
  });

  it('reports every problem at once', () => {
    const error = rejected({ env: { PORT: 'abc', LOG_LEVEL: 'loud', CUSTODIA_TYPO: '1' } });
    expect(settings(error).sort()).toEqual(['CUSTODIA_TYPO', 'LOG_LEVEL', 'PORT']);
  });

  it('names a bad CLI override by its flag', () => {
    expect(settings(rejected({ env: {}, overrides: { port: 'abc' } }))).toEqual(['--port']);
  });
});

describe('secrets in error messages', () => {
  const password = 'Pa55w0rd-do-not-print';

  it('does not echo an invalid DATABASE_URL that carries a password', () => {
    const error = rejected({ env: { DATABASE_URL: `mysql://app:${password}@db.internal/custodia` } });
    expect(settings(error)).toEqual(['DATABASE_URL']);
    expect(error.message).not.toContain(password);
    expect(JSON.stringify(error.problems)).not.toContain(password);
  });

  it('does not echo an invalid REDIS_URL that carries a password', () => {
    const error = rejected({ env: { REDIS_URL: `http://:${password}@cache.internal` } });
    expect(error.message).not.toContain(password);
  });

  it('does not echo an invalid CUSTODIA_SMPP_URL that carries a password', () => {
    const error = rejected({ env: { CUSTODIA_SMPP_URL: `smpp://custodia:${password}@smsc.internal:2775` } }); // no ?source=
    expect(settings(error)).toEqual(['CUSTODIA_SMPP_URL']);
    expect(error.message).not.toContain(password);
    expect(JSON.stringify(error.problems)).not.toContain(password);
  });

  it('does not echo invalid key material (CUSTODIA_KEYS)', () => {
    const material = `1:${'S3cretKeyMaterial'.repeat(1000)}`; // longer than the 16 KiB limit
    const error = rejected({ env: { CUSTODIA_KEYS: material } });
    expect(settings(error)).toEqual(['CUSTODIA_KEYS']);
    expect(error.message).not.toContain('S3cretKeyMaterial');
  });

  it('does not echo valid secrets when another setting is wrong', () => {
    const error = rejected({
      env: { CUSTODIA_KEYS: `1:${password}`, DATABASE_URL: `postgres://app:${password}@db.internal/custodia`, PORT: 'abc' },
    });
    expect(settings(error)).toEqual(['PORT']);
    expect(error.message).not.toContain(password);
  });

  it('does not echo a secret from a config file that is not valid JSON', () => {
    // V8's JSON.parse error quotes the text around the fault; the loader must not pass it on.
    const file = configFile(`{"keys": ${password}}`); // an unquoted value: V8 quotes it in its message
    expect(() => JSON.parse(`{"keys": ${password}}`)).toThrow(password.slice(0, 8));
    const error = rejected({ env: {}, configFile: file });
    expect(settings(error)).toEqual([file]);
    expect(error.message).not.toContain(password);
  });

  it('does not echo an invalid secret from a config file', () => {
    const file = configFile({ databaseUrl: `mysql://app:${password}@db.internal/custodia` });
    const error = rejected({ env: {}, configFile: file });
    expect(settings(error)).toEqual([`${file}:databaseUrl`]);
    expect(error.message).not.toContain(password);
  });
});

describe('production', () => {
  it('refuses to start without CUSTODIA_KEY_PROVIDER', () => {
    expect(settings(rejected({ env: { NODE_ENV: 'production' } }))).toEqual(['CUSTODIA_KEY_PROVIDER']);
  });

  it('treats an empty CUSTODIA_KEY_PROVIDER as missing', () => {
    expect(settings(rejected({ env: { NODE_ENV: 'production', CUSTODIA_KEY_PROVIDER: '' } }))).toEqual(['CUSTODIA_KEY_PROVIDER']);
  });

  it('refuses the local provider without CUSTODIA_KEY_FILE', () => {
    expect(settings(rejected({ env: { NODE_ENV: 'production', CUSTODIA_KEY_PROVIDER: 'local' } }))).toEqual(['CUSTODIA_KEY_FILE']);
  });

  it('refuses the env provider without CUSTODIA_KEYS', () => {
    expect(settings(rejected({ env: { NODE_ENV: 'production', CUSTODIA_KEY_PROVIDER: 'env' } }))).toEqual(['CUSTODIA_KEYS']);
  });

  it('starts with explicit key material from either provider', () => {
    const local = loadConfig({ env: { NODE_ENV: 'production', CUSTODIA_KEY_PROVIDER: 'local', CUSTODIA_KEY_FILE: '/etc/custodia/master.key' } });
    expect(local).toMatchObject({ nodeEnv: 'production', keyProvider: 'local', keyFile: '/etc/custodia/master.key' });
    const env = loadConfig({ env: { NODE_ENV: 'production', CUSTODIA_KEY_PROVIDER: 'env', CUSTODIA_KEYS: '1:c2VjcmV0' } });
    expect(env).toMatchObject({ nodeEnv: 'production', keyProvider: 'env', keys: '1:c2VjcmV0' });
  });

  it('accepts the provider from the config file', () => {
    const file = configFile({ keyProvider: 'local', keyFile: '/etc/custodia/master.key' });
    expect(loadConfig({ env: { NODE_ENV: 'production' }, configFile: file }).keyProvider).toBe('local');
  });

  it('does not apply outside production', () => {
    expect(loadConfig({ env: { NODE_ENV: 'development' } }).keyProvider).toBe('local');
    expect(loadConfig({ env: { NODE_ENV: 'test', CUSTODIA_KEY_PROVIDER: 'env' } }).keys).toBeUndefined();
  });
});

describe('describeConfig', () => {
  it('redacts secrets and URL passwords and keeps everything else', () => {
    const password = 'Pa55w0rd-do-not-print';
    const config = loadConfig({
      env: {
        PORT: '9000',
        DATABASE_URL: `postgres://app:${password}@db.internal:5432/custodia`,
        REDIS_URL: `redis://default:${password}@cache.internal:6379`,
        CUSTODIA_KEY_PROVIDER: 'env',
        CUSTODIA_KEYS: `1:${password}`,
        CUSTODIA_SMPP_URL: `smpp://custodia:${password}@smsc.internal:2775?source=Custodia&plaintext=allowed`,
      },
    });
    const described = describeConfig(config);
    expect(JSON.stringify(described)).not.toContain(password);
    expect(described.smppUrl).toBe('smpp://custodia@smsc.internal:2775');
    expect(described.keys).toBe('[redacted]');
    expect(described.databaseUrl).toBe('postgres://app@db.internal:5432/custodia');
    expect(described.redisUrl).toBe('redis://default@cache.internal:6379');
    expect(described.port).toBe(9000);
    expect(described.keyProvider).toBe('env');
    expect(Object.keys(described).sort()).toEqual(Object.keys(config).sort());
  });

  it('leaves out passwords given as query parameters, and the whole query string', () => {
    const password = 'Pa55w0rd-do-not-print';
    const config = loadConfig({
      env: {
        DATABASE_URL: `postgres://app@db.internal:5432/custodia?password=${password}&sslmode=verify-full&sslpassword=${password}#${password}`,
        REDIS_URL: `rediss://cache.internal:6380/2?password=${password}`,
      },
    });
    const described = describeConfig(config);
    expect(JSON.stringify(described)).not.toContain(password);
    expect(described.databaseUrl).toBe('postgres://app@db.internal:5432/custodia');
    expect(described.redisUrl).toBe('rediss://cache.internal:6380/2');
  });

  it('leaves a URL without a password as it is and unset secrets unset', () => {
    const described = describeConfig(loadConfig({ env: { DATABASE_URL: 'postgres://app@db.internal/custodia' } }));
    expect(described.databaseUrl).toBe('postgres://app@db.internal/custodia');
    expect(described.keys).toBeUndefined();
  });
});

describe('key provider settings', () => {
  it('refuses the settings of one provider given to the other', () => {
    expect(() => loadConfig({ env: { CUSTODIA_KEYS: '1:AAAA' } })).toThrow(/CUSTODIA_KEYS: is read only by the env key provider/);
    expect(() => loadConfig({ env: { CUSTODIA_KEY_PROVIDER: 'env', CUSTODIA_KEY_FILE: '/k' } })).toThrow(/CUSTODIA_KEY_FILE: is read only by the local key provider/);
  });
});

describe('CUSTODIA_TRUST_PROXY', () => {
  it('accepts true/false or a list of proxy addresses and CIDR blocks', () => {
    expect(loadConfig({ env: { CUSTODIA_TRUST_PROXY: 'false' } }).trustProxy).toBe(false);
    expect(loadConfig({ env: { CUSTODIA_TRUST_PROXY: '1' } }).trustProxy).toBe(true);
    expect(loadConfig({ env: { CUSTODIA_TRUST_PROXY: '10.0.0.5, 10.0.1.0/24,::1,fd00::/8' } }).trustProxy).toEqual(['10.0.0.5', '10.0.1.0/24', '::1', 'fd00::/8']);
  });

  it('refuses anything else, naming the variable', () => {
    for (const bad of ['yes', '10.0.0.300', '10.0.0.0/33', 'fd00::/129', 'proxy.internal', '10.0.0.1/8/1', ',']) {
      expect(() => loadConfig({ env: { CUSTODIA_TRUST_PROXY: bad } }), bad).toThrow(/CUSTODIA_TRUST_PROXY/);
    }
  });
});

describe('dnsServers', () => {
  it('takes comma-separated servers from the environment and a list from a file', () => {
    expect(loadConfig({ env: { CUSTODIA_DNS_SERVERS: '9.9.9.9, 1.1.1.1:5353,[2620:fe::fe]:53,2001:4860:4860::8888' } }).dnsServers).toEqual(['9.9.9.9', '1.1.1.1:5353', '[2620:fe::fe]:53', '2001:4860:4860::8888']);
    expect(loadConfig({ env: {}, configFile: configFile({ dnsServers: ['127.0.0.1:53'] }) }).dnsServers).toEqual(['127.0.0.1:53']);
    expect(loadConfig({ env: {} }).dnsServers).toBeUndefined();
  });

  it('refuses names, bad ports and bracketless IPv6 with a port, naming the variable', () => {
    for (const bad of ['dns.google', '1.1.1.1:70000', '1.1.1.1:', '[1.1.1.1]:53', '::1:53:x', '10.0.0.300', ',', Array.from({ length: 9 }, (_, i) => `10.0.0.${i + 1}`).join(',')]) {
      expect(() => loadConfig({ env: { CUSTODIA_DNS_SERVERS: bad } }), bad).toThrow(/CUSTODIA_DNS_SERVERS/);
    }
  });
});

describe('redactUrl', () => {
  const secret = 'Pa55w0rd-do-not-print';
  it.each([
    [`postgres://app:${secret}@db.internal:5432/custodia`, 'postgres://app@db.internal:5432/custodia'],
    [`postgresql://app:${secret}@db.internal/custodia?sslmode=require`, 'postgresql://app@db.internal/custodia'],
    [`postgres://app@db.internal/custodia?password=${secret}`, 'postgres://app@db.internal/custodia'],
    [`postgres://app@db.internal/custodia?sslmode=verify-full&sslpassword=${secret}&sslkey=/k`, 'postgres://app@db.internal/custodia'],
    [`postgres://app:${encodeURIComponent(`p@ss:${secret}/?#`)}@[::1]:5433/custodia`, 'postgres://app@[::1]:5433/custodia'],
    [`redis://:${secret}@cache.internal:6379`, 'redis://cache.internal:6379'],
    [`redis://default:${secret}@cache.internal:6379/0`, 'redis://default@cache.internal:6379/0'],
    [`rediss://cache.internal?password=${secret}`, 'rediss://cache.internal'],
  ])('%s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
    expect(redactUrl(url)).not.toContain(secret);
  });

  it('says nothing of a URL it cannot parse', () => {
    expect(redactUrl(`not a url ${secret}`)).toBe('[unparseable url]');
  });
});

