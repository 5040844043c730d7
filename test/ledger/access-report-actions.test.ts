/**
 * The data-subject access report describes every action in plain words. This test reads every
 * action the code records (`action: '…'` literals under src/) and requires a description for each
 * one that can concern a customer, so a new action cannot reach customers as a technical name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeAction } from '../../src/ledger/access-report.js';

/** Actions about the platform, tenants, agents, keys, schemas or policies: never in a customer's report. */
const NOT_ABOUT_A_CUSTOMER = /^(tenant|agent|platform|vault|key|keys|ledger|customer\.schema|access\.policy|redaction\.policy|redaction\.redact|security|verification\.settings|verification\.fraud_number|api_key|session|device|network|alert|membership|invitation|training|shift|conduct)(\.|$)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(full);
    return d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') ? [full] : [];
  });
}

const recorded = new Set<string>();
for (const file of sourceFiles(path.resolve('src'))) {
  for (const match of readFileSync(file, 'utf8').matchAll(/\baction: '([a-z_]+(?:\.[a-z_]+)+)'/g)) recorded.add(match[1] as string);
}

describe('access report wording', () => {
  it('finds the recorded actions in the source', () => {
    // Guards the scan itself: these are recorded today, so an empty or partial scan fails here.
    for (const action of ['customer.record.open', 'customer.field.reveal', 'customer.erase', 'access.break_glass.open']) expect(recorded).toContain(action);
  });

  it('describes every action that can concern a customer in plain words', () => {
    const undescribed = [...recorded].filter((a) => !NOT_ABOUT_A_CUSTOMER.test(a) && describeAction(a).startsWith('recorded action')).sort();
    expect(undescribed).toEqual([]);
  });
});
