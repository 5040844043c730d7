/**
 * docs/configuration.md must list exactly the settings of src/config/schema.ts, each with its
 * config-file key, its environment variable and its default. A setting added, renamed or removed
 * in the code, or a default changed, fails here until the document says the same.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_FILE_VARIABLE, type ConfigKey, configSchema, environmentNames } from '../../src/config/index.js';

const DOC_PATH = new URL('../../docs/configuration.md', import.meta.url);
const doc = readFileSync(DOC_PATH, 'utf8');

/** `CUSTODIA_*` names the document mentions on purpose as examples of rejected variables. */
const REJECTED_EXAMPLES = new Set(['CUSTODIA_PORT']);

interface Row {
  readonly key: string;
  readonly variable: string;
  readonly defaultCell: string;
}

/** Rows of the table under "## Settings": | `fileKey` | `VARIABLE` | type | default | meaning |. */
function settingsRows(markdown: string): Row[] {
  const start = markdown.indexOf('\n## Settings');
  if (start < 0) throw new Error('docs/configuration.md has no "## Settings" section');
  const next = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, next < 0 ? undefined : next);
  const rows: Row[] = [];
  for (const line of section.split('\n')) {
    const match = /^\|\s*`([A-Za-z]+)`\s*\|\s*`([A-Z][A-Z0-9_]*)`\s*\|[^|]*\|([^|]*)\|/.exec(line);
    if (match !== null) rows.push({ key: match[1] ?? '', variable: match[2] ?? '', defaultCell: (match[3] ?? '').trim() });
  }
  return rows;
}

const rows = settingsRows(doc);
const entries = Object.entries(environmentNames) as [ConfigKey, string][];
const defaults = configSchema.parse({}) as Record<string, unknown>;

describe('docs/configuration.md', () => {
  it('lists every setting with its file key and environment variable', () => {
    const documented = new Map(rows.map((r) => [r.key, r.variable]));
    const missing = entries.filter(([key, variable]) => documented.get(key) !== variable).map(([key, variable]) => `${key} / ${variable}`);
    expect(missing, 'settings in src/config/schema.ts missing from docs/configuration.md').toEqual([]);
  });

  it('lists no setting that does not exist', () => {
    const known = new Map<string, string>(entries);
    const stale = rows.filter((r) => known.get(r.key) !== r.variable).map((r) => `${r.key} / ${r.variable}`);
    expect(stale, 'rows in docs/configuration.md that are not settings').toEqual([]);
    expect(rows.length, 'each setting listed once').toBe(entries.length);
  });

  it('mentions no CUSTODIA_* variable that the code does not read', () => {
    const known = new Set<string>([...Object.values(environmentNames), CONFIG_FILE_VARIABLE, ...REJECTED_EXAMPLES]);
    const mentioned = new Set(doc.match(/\bCUSTODIA_[A-Z0-9_]*[A-Z0-9]\b/g) ?? []);
    expect([...mentioned].filter((name) => !known.has(name))).toEqual([]);
    expect(doc).toContain(`\`${CONFIG_FILE_VARIABLE}\``);
  });

  it('gives each default as the schema does', () => {
    const wrong: string[] = [];
    for (const row of rows) {
      const value = defaults[row.key];
      if (value === undefined) {
        if (!/^none\b/.test(row.defaultCell)) wrong.push(`${row.key}: schema has no default, doc says "${row.defaultCell}"`);
        continue;
      }
      const shown = /^`([^`]*)`/.exec(row.defaultCell)?.[1];
      if (shown !== String(value)) wrong.push(`${row.key}: schema default ${String(value)}, doc says "${row.defaultCell}"`);
    }
    expect(wrong).toEqual([]);
  });

  it('gives examples that are valid production configurations, trusting the proxy by address and not every peer', async () => {
    const { loadConfig } = await import('../../src/config/index.js');
    const start = doc.indexOf('\n## Examples');
    const section = doc.slice(start);
    const envBlock = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const env = Object.fromEntries([...envBlock.matchAll(/\b([A-Z][A-Z0-9_]*)=(\S+)/g)].map((m) => [m[1] ?? '', (m[2] ?? '').replace('...', 'secret')]));
    expect(env.HOST).toBe('0.0.0.0');
    expect(loadConfig({ env }).trustProxy).toEqual(['10.0.0.5']);
    const file = JSON.parse(/```json\n([\s\S]*?)```/.exec(section)?.[1] ?? '{}') as Record<string, unknown>;
    expect(file.host).toBe('0.0.0.0');
    expect(file.trustProxy).toEqual(['10.0.0.5']);
    expect(configSchema.safeParse(file).success).toBe(true);
  });

  it('tells where a CUSTODIA_* typo is caught: the loader rejects unknown variables', async () => {
    // The document promises this behaviour; keep the promise tested next to it.
    const { ConfigError, loadConfig } = await import('../../src/config/index.js');
    for (const name of REJECTED_EXAMPLES) {
      expect(() => loadConfig({ env: { [name]: '1' } })).toThrow(ConfigError);
    }
  });
});
