/** What every CLI command shares: reading the config and opening the context. */
import { type Config, type ConfigKey, loadConfig } from '../config/index.js';
import { type AppContext, type CreateContextOptions, createContext } from '../server/context.js';

export interface GlobalOptions {
  config?: string;
}

export function cliConfig(globals: GlobalOptions, overrides: Partial<Record<ConfigKey, unknown>> = {}): Config {
  return loadConfig({ ...(globals.config === undefined ? {} : { configFile: globals.config }), overrides });
}

/** Runs `fn` with a context that is closed afterwards, whatever happens. */
export async function withContext<T>(config: Config, fn: (ctx: AppContext) => Promise<T>, options: CreateContextOptions = {}): Promise<T> {
  const ctx = await createContext(config, options);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

/** Command-line loggers stay quiet unless asked: their output is the command's result. */
export function quietConfig(config: Config): Config {
  return process.env.LOG_LEVEL === undefined || process.env.LOG_LEVEL === '' ? { ...config, logLevel: 'warn' } : config;
}
