/**
 * `custodia access explain` as a security officer runs it: the built bin/custodia.js in a child
 * process, on a fresh embedded database with one agent and one customer and no interaction.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { openDatabase } from '../../src/db/index.js';
import { createLogger } from '../../src/platform/logger.js';
import { killChildren, makeTempDir, removeTempDirs, runCli } from '../helpers/cli.js';

afterEach(async () => {
  await killChildren();
});

afterAll(() => {
  removeTempDirs();
});

describe('custodia access explain', { timeout: 240_000 }, () => {
  it('names the deciding rule and the facts; refuses bad options with exit 2', async () => {
    const env = { CUSTODIA_DATA_DIR: makeTempDir() };
    const init = await runCli(['init', '--slug', 'acme', '--name', 'Acme', '--admin-email', 'a@acme.test', '--json'], env);
    expect(init.code, init.stderr).toBe(0);
    const tenantId = (JSON.parse(init.stdout) as { tenant: { id: string } }).tenant.id;
    const file = path.join(makeTempDir(), 'one.jsonl');
    writeFileSync(file, `${JSON.stringify({ customer_number: 'C-1', email: 'ana@example.com' })}\n`);
    const imported = await runCli(['customers', 'import', '--tenant', 'acme', '--file', file, '--json'], env);
    expect(imported.code, imported.stderr).toBe(0);

    // An agent of the tenant (as an accepted invitation would leave it).
    const agentId = randomUUID();
    const config = loadConfig({ env: { ...env, NODE_ENV: 'test' } });
    const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger: createLogger('silent') });
    let customerId: string;
    try {
      customerId = await db.withTenant(
        tenantId,
        async (tx) => {
          const now = new Date();
          await tx.insertInto('agents').values({ id: agentId, email: 'agent@acme.test', display_name: 'Ana Agent', status: 'active', created_at: now, updated_at: now }).execute();
          await tx.insertInto('agent_memberships').values({ tenant_id: tenantId, agent_id: agentId, role: 'agent', status: 'active', created_at: now, updated_at: now }).execute();
          return (await tx.selectFrom('customers').select('id').where('customer_number', '=', 'C-1').executeTakeFirstOrThrow()).id;
        },
        { identity: true },
      );
    } finally {
      await db.close();
    }

    const args = ['access', 'explain', '--tenant', 'acme', '--agent', agentId, '--customer', customerId, '--field', 'email'];
    const text = await runCli(args, env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Grant: none');
    // Checked in order: this agent has no training recorded yet, so that guard decides first.
    expect(text.stdout).toContain("Decision: hidden, by guard 'guard.training_invalid' (policy version 1)");
    expect(text.stdout).toContain('training NOT valid');
    expect(text.stdout).not.toContain('ana@example.com');
    const json = await runCli([...args, '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ decision: 'hidden', ruleId: 'guard.training_invalid', policyVersion: 1 });

    for (const bad of [
      ['--agent', 'not-a-uuid'],
      ['--field', 'Email!'],
    ]) {
      const withBad = [...args];
      withBad[withBad.indexOf(bad[0] as string) + 1] = bad[1] as string;
      const r = await runCli(withBad, env);
      expect(r.code, r.stderr).toBe(2);
    }
    const unknownField = await runCli(['access', 'explain', '--tenant', 'acme', '--agent', agentId, '--customer', customerId, '--field', 'shoe_size'], env);
    expect(unknownField.code).not.toBe(0);
    expect(unknownField.stderr).toContain('access.field_not_found');
  });
});
