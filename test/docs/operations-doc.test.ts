/**
 * docs/operations.md lists the keys the logger redacts. Operators rely on that list to know what
 * can never reach a log line, so it must be the logger's list: no key missing, none extra.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REDACTED_KEYS } from '../../src/platform/logger.js';

const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');

/** The backticked keys between "from `REDACTED_KEYS`" and "Matching is by exact key name". */
function documentedRedactedKeys(markdown: string): string[] {
  const text = markdown.replace(/\s+/g, ' ');
  const start = text.indexOf('`REDACTED_KEYS`');
  const end = text.indexOf('Matching is by exact key name', start);
  if (start < 0 || end < 0) throw new Error('docs/operations.md no longer lists the redacted keys where this test looks');
  const list = text.slice(text.indexOf(':', start) + 1, end);
  return [...list.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
}

describe('docs/operations.md', () => {
  it('lists exactly the keys the logger redacts', () => {
    expect(documentedRedactedKeys(doc).sort()).toEqual([...REDACTED_KEYS].sort());
  });
});
