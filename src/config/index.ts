export { type Config, type ConfigKey, configSchema, environmentNames, secretSettings, CONFIG_FILE_VARIABLE } from './schema.js';
export { ConfigError, ConfigErrors, type ConfigProblem, describeConfig, loadConfig, publicUrlOf, redactUrl, resolvedDataDir } from './load.js';
