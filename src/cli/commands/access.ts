import type { Command } from 'commander';
import { z } from 'zod';
import { explainAccess } from '../../access/index.js';
import { AppError, RequestErrors } from '../../platform/errors.js';
import { TenantErrors } from '../../tenants/index.js';
import { cliConfig, type GlobalOptions, quietConfig, withContext } from '../context.js';
import { printJson, printLines } from '../output.js';

const uuid = z.uuid();
const fieldKey = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/);

function parseOr<T>(schema: z.ZodType<T>, value: unknown, option: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AppError(RequestErrors.invalid, { detail: `${option}: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
  return parsed.data;
}

export function accessCommand(program: Command): void {
  const group = program.command('access').description('Least-privilege access to customer records: explain what the policy decides.');

  group
    .command('explain')
    .description("Explain what an agent would get now for one field of one customer's record, and which policy rule decides.")
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--agent <id>', "the agent's id")
    .requiredOption('--customer <id>', "the customer's id")
    .requiredOption('--field <key>', 'the field key (as in the tenant\'s customer field schema)')
    .option('--json', 'print the decision as JSON')
    .addHelpText('after', '\nWith the embedded database, stop the server first.')
    .action(async (options: { tenant: string; agent: string; customer: string; field: string; json?: boolean }, command: Command) => {
      const agentId = parseOr(uuid, options.agent, '--agent');
      const customerId = parseOr(uuid, options.customer, '--customer');
      const field = parseOr(fieldKey, options.field, '--field');
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      await withContext(config, async (ctx) => {
        const tenant = await ctx.tenants.findTenantBySlug(options.tenant);
        if (tenant === undefined) throw new AppError(TenantErrors.not_found, { detail: 'No tenant with that slug' });
        const explanation = await ctx.db.withTenant(tenant.id, (tx) => explainAccess(tx, { tenantId: tenant.id, agentId, customerId, fieldKey: field, now: ctx.clock.now() }));
        if (options.json === true) return printJson(explanation);
        printLines(explanation.text.split('\n'));
      });
    });
}
