import type { Command } from 'commander';
import { z } from 'zod';
import { AppError, RequestErrors } from '../../platform/errors.js';
import type { AppContext } from '../../server/context.js';
import { TenantErrors } from '../../tenants/index.js';
import { rotationStatus, runRewrap, startRotation } from '../../vault/index.js';
import { cliConfig, type GlobalOptions, quietConfig, withContext } from '../context.js';
import { printJson, printLines } from '../output.js';

const STOPPED = '\nWith the embedded database, stop the server first (or use the API: POST /v1/platform/tenants/{id}/keys/rotate).';
const batchSize = z.coerce.number().int().min(1).max(10_000);
const version = z.coerce.number().int().min(1).max(1_000_000_000);

async function tenantIdOf(ctx: AppContext, slug: string): Promise<string> {
  const tenant = await ctx.tenants.findTenantBySlug(slug);
  if (tenant === undefined) throw new AppError(TenantErrors.not_found, { detail: 'No tenant with that slug' });
  return tenant.id;
}

function parseOr<T>(schema: z.ZodType<T>, value: unknown, option: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AppError(RequestErrors.invalid, { detail: `${option}: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
  return parsed.data;
}

/** `custodia keys`: key-encryption key versions of a tenant, rotation, re-wrapping, retirement. */
export function keysCommand(program: Command): void {
  const group = program.command('keys').description("Show, rotate and retire a tenant's key-encryption keys.");

  group
    .command('status')
    .description('Show KEK versions, how many data keys each still wraps, and rotation jobs.')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', STOPPED)
    .action(async (options: { tenant: string; json?: boolean }, command: Command) => {
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      await withContext(config, async (ctx) => {
        const tenantId = await tenantIdOf(ctx, options.tenant);
        const status = await rotationStatus({ db: ctx.db, keyring: ctx.vault.keyring, clock: ctx.clock }, tenantId);
        if (options.json === true) return printJson({ provider: ctx.vault.keyring.providerKind, ...status });
        printLines([
          `key provider: ${ctx.vault.keyring.providerKind}`,
          ...status.versions.map((v) => `KEK v${v.version}  ${v.state.padEnd(7)}  ${String(v.dataKeys).padStart(8)} data keys  created ${v.createdAt.toISOString()}`),
          ...(status.versions.length === 0 ? ['no KEK yet (created on first use)'] : []),
          ...status.jobs.map((j) => `rewrap job ${j.id}  ${j.state}  ${JSON.stringify(j.progress)}`),
        ]);
      });
    });

  group
    .command('rotate')
    .description('Create a new KEK version (used at once for new data keys) and re-wrap every data key under it.')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .option('--batch-size <n>', 'data keys re-wrapped per transaction', '500')
    .option('--no-wait', 'only start the rotation; the server (or `keys rewrap`) finishes it')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `\nSafe to interrupt: re-run \`custodia keys rewrap --tenant <slug>\` to resume.${STOPPED}`)
    .action(async (options: { tenant: string; batchSize: string; wait: boolean; json?: boolean }, command: Command) => {
      const size = parseOr(batchSize, options.batchSize, '--batch-size');
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      await withContext(config, async (ctx) => {
        const deps = { db: ctx.db, keyring: ctx.vault.keyring, clock: ctx.clock };
        const tenantId = await tenantIdOf(ctx, options.tenant);
        const started = await startRotation(deps, tenantId);
        if (options.json !== true) printLines([`KEK v${started.version} created; new data keys use it now. Re-wrapping (job ${started.jobId})...`]);
        if (options.wait) {
          await runRewrap(deps, tenantId, {
            batchSize: size,
            onStep: (job) => {
              if (options.json !== true) printLines([`  re-wrapped ${String(job.progress.rewrapped)}, remaining ${String(job.progress.remaining)}`]);
            },
          });
        }
        const status = await rotationStatus(deps, tenantId);
        if (options.json === true) return printJson({ version: started.version, jobId: started.jobId, ...status });
        printLines([options.wait ? 'Done: every data key is wrapped by the new version.' : 'Started; re-wrapping continues in the server.']);
      });
    });

  group
    .command('rewrap')
    .description('Resume pending re-wrap jobs of a tenant (after an interrupted rotation).')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .option('--batch-size <n>', 'data keys re-wrapped per transaction', '500')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', STOPPED)
    .action(async (options: { tenant: string; batchSize: string; json?: boolean }, command: Command) => {
      const size = parseOr(batchSize, options.batchSize, '--batch-size');
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      await withContext(config, async (ctx) => {
        const deps = { db: ctx.db, keyring: ctx.vault.keyring, clock: ctx.clock };
        const tenantId = await tenantIdOf(ctx, options.tenant);
        const steps = await runRewrap(deps, tenantId, { batchSize: size });
        const status = await rotationStatus(deps, tenantId);
        if (options.json === true) return printJson({ steps, ...status });
        printLines([steps === 0 ? 'Nothing to re-wrap.' : `Re-wrapped in ${steps} steps.`, ...status.versions.map((v) => `KEK v${v.version}  ${v.state}  ${v.dataKeys} data keys`)]);
      });
    });

  group
    .command('retire')
    .description('Retire a KEK version no data key depends on any more (its key bytes are erased).')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--kek-version <n>', 'KEK version to retire')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', STOPPED)
    .action(async (options: { tenant: string; kekVersion: string; json?: boolean }, command: Command) => {
      const v = parseOr(version, options.kekVersion, '--kek-version');
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      await withContext(config, async (ctx) => {
        const tenantId = await tenantIdOf(ctx, options.tenant);
        await ctx.db.withTenant(tenantId, (tx) => ctx.vault.keyring.retireKek(tx, tenantId, v));
        if (options.json === true) return printJson({ retired: v });
        printLines([`KEK v${v} retired.`]);
      });
    });
}
