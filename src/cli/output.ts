/** CLI output: plain text for people by default, one JSON document with `--json` for scripts. */
import { ConfigError, ConfigErrors } from '../config/index.js';
import { AppError } from '../platform/errors.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLines(lines: readonly string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Exit codes: 1 runtime failure, 2 bad usage or configuration. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Prints an error to stderr (as JSON with `--json`) and returns the exit code to use. */
export function reportError(error: unknown, json: boolean): number {
  if (error instanceof ConfigError) {
    if (json) process.stderr.write(`${JSON.stringify({ error: { code: ConfigErrors.invalid.code, title: ConfigErrors.invalid.title, problems: error.problems } })}\n`);
    else process.stderr.write(`custodia: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (error instanceof AppError) {
    const exit = error.status >= 400 && error.status < 500 ? EXIT_USAGE : EXIT_FAILURE;
    if (json) process.stderr.write(`${JSON.stringify({ error: { code: error.code, title: error.title, detail: error.detail } })}\n`);
    else process.stderr.write(`custodia: ${error.detail} (${error.code})\n`);
    return exit;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) process.stderr.write(`${JSON.stringify({ error: { code: 'server.internal', detail: message } })}\n`);
  else process.stderr.write(`custodia: ${message}\n`);
  return EXIT_FAILURE;
}
