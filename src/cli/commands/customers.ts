import { closeSync, existsSync, openSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { type ExistingPolicy, type ImportFormat, type ImportProgress, type ImportSummary, importCustomers, type RowError } from '../../customers/index.js';
import { AppError, RequestErrors } from '../../platform/errors.js';
import type { AppContext } from '../../server/context.js';
import { TenantErrors } from '../../tenants/index.js';
import { cliConfig, type GlobalOptions, quietConfig, withContext } from '../context.js';
import { printJson, printLines } from '../output.js';

/** Exit code when the import ran but rejected some rows (0: every row imported; 1, 2: see output.ts). */
export const EXIT_ROWS_REJECTED = 3;

const STOPPED = '\nWith the embedded database, stop the server first.';
const batchSize = z.coerce.number().int().min(1).max(10_000);
const formats = ['csv', 'jsonl'] as const;
const policies = ['skip', 'update'] as const;

interface ImportCommandOptions {
  tenant: string;
  file: string;
  format?: string;
  existing: string;
  batchSize: string;
  errors?: string;
  json?: boolean;
}

function parseOr<T>(schema: z.ZodType<T>, value: unknown, option: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AppError(RequestErrors.invalid, { detail: `${option}: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
  return parsed.data;
}

async function tenantIdOf(ctx: AppContext, slug: string): Promise<string> {
  const tenant = await ctx.tenants.findTenantBySlug(slug);
  if (tenant === undefined) throw new AppError(TenantErrors.not_found, { detail: 'No tenant with that slug' });
  return tenant.id;
}

function formatOf(file: string, given: string | undefined): ImportFormat {
  if (given !== undefined) return parseOr(z.enum(formats), given, '--format');
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new AppError(RequestErrors.invalid, { detail: '--format: csv or jsonl (the file name does not end in .csv, .jsonl or .ndjson)' });
}

/** Progress on standard error: a bar redrawn in place on a terminal, a plain line every few seconds otherwise. */
function progressReporter(): { update: (p: ImportProgress) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  let lastLine = 0;
  let drawn = false;
  const describe = (p: ImportProgress): string => `${p.rows} rows: ${p.created} created, ${p.updated} updated, ${p.skipped} skipped, ${p.rejected} rejected`;
  return {
    update(p) {
      const percent = p.totalBytes === 0 ? 100 : Math.min(100, Math.floor((p.bytesRead / p.totalBytes) * 100));
      if (tty) {
        const filled = Math.round(percent / 5);
        process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${String(percent).padStart(3)}%  ${describe(p)}\u001b[K`);
        drawn = true;
        return;
      }
      const now = Date.now();
      if (now - lastLine < 5_000) return;
      lastLine = now;
      process.stderr.write(`import: ${percent}% of the file read, ${describe(p)}\n`);
    },
    done() {
      if (drawn) process.stderr.write('\n');
    },
  };
}

function summaryLines(s: ImportSummary, errorsTo: string): string[] {
  return [
    `Imported ${s.rows} rows in ${s.batches} ${s.batches === 1 ? 'batch' : 'batches'}: ${s.created} created, ${s.updated} updated, ${s.skipped} skipped (existing), ${s.rejected} rejected.`,
    ...(s.rejected > 0 ? [`Rejected rows (line and reason) were written to ${errorsTo}.`] : []),
  ];
}

/** `custodia customers import`: customers from a CSV or JSON-lines file. */
export function customersCommand(program: Command): void {
  const group = program.command('customers').description("Import a contact center's customers.");

  group
    .command('import')
    .description('Import customers from a CSV file (header: customer_number and field keys) or JSON lines (one object per line).')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--file <path>', 'the file to import')
    .option('--format <format>', 'csv or jsonl (default: from the file name)')
    .option('--existing <policy>', 'customers whose number exists: skip, or update with the values of the row', 'skip')
    .option('--batch-size <n>', 'rows per transaction', '200')
    .option('--errors <file>', 'write rejected rows here (JSON lines, created 0600) instead of standard output')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Re-running the same file creates no duplicates: customers are matched by customer number.
Each rejected row is one JSON line {"line", "code", "field"?, "reason"?, "firstLine"?, "message"},
never with the row's values. Without --errors they go to standard output and the summary to
standard error. Progress is shown on standard error.
Exit codes: 0 every row imported (or skipped), 3 some rows rejected (the others were imported),
2 bad usage (options, unknown tenant, unreadable header), 1 any other failure (the batches
before it were committed; run the command again to resume).${STOPPED}`,
    )
    .action(async (options: ImportCommandOptions, command: Command) => {
      if (!existsSync(options.file) || !statSync(options.file).isFile()) throw new AppError(RequestErrors.invalid, { detail: `--file: no such file: ${options.file}` });
      const format = formatOf(options.file, options.format);
      const existing: ExistingPolicy = parseOr(z.enum(policies), options.existing, '--existing');
      const size = parseOr(batchSize, options.batchSize, '--batch-size');
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      await withContext(config, async (ctx) => {
        const tenantId = await tenantIdOf(ctx, options.tenant);
        // Opened once the tenant is known: an unknown tenant leaves no empty report behind.
        const fd = options.errors === undefined ? undefined : openSync(options.errors, 'w', 0o600);
        const writeError = (error: RowError): void => {
          const line = `${JSON.stringify(error)}\n`;
          if (fd === undefined) process.stdout.write(line);
          else writeSync(fd, line);
        };
        const progress = progressReporter();
        let summary: ImportSummary;
        try {
          summary = await importCustomers(
            { db: ctx.db, clock: ctx.clock, vault: ctx.vault, defaultPhoneCountry: config.defaultPhoneCountry },
            { tenantId, file: options.file, format, existing, batchSize: size, actor: { type: 'platform', id: 'cli:customers-import' }, onRowError: writeError, onProgress: progress.update },
          );
        } finally {
          progress.done();
          if (fd !== undefined) closeSync(fd);
        }
        // With the rejected rows on standard output, the summary goes to standard error.
        const toStderr = options.errors === undefined;
        if (options.json === true) {
          if (toStderr) process.stderr.write(`${JSON.stringify(summary)}\n`);
          else printJson(summary);
        } else {
          const lines = summaryLines(summary, options.errors ?? 'standard output');
          if (toStderr) process.stderr.write(`${lines.join('\n')}\n`);
          else printLines(lines);
        }
        if (summary.rejected > 0) process.exitCode = EXIT_ROWS_REJECTED;
      });
    });
}
