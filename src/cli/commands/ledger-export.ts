import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { accessReportCsv, accessReportFormats, accessReportHtml, buildAccessReport } from '../../ledger/access-report.js';
import {
  DEFAULT_SYSLOG_FACILITY,
  type ExportResult,
  type ExportSink,
  exportFormats,
  exportLedger,
  fileSink,
  parseSyslogUrl,
  readCursorFile,
  streamSink,
  syslogSink,
  writeCursorFile,
} from '../../ledger/export.js';
import { AppError, RequestErrors } from '../../platform/errors.js';
import type { AppContext } from '../../server/context.js';
import { type Tenant, TenantErrors } from '../../tenants/index.js';
import { cliConfig, type GlobalOptions, quietConfig, withContext } from '../context.js';
import { printJson, printLines } from '../output.js';

const STOPPED = '\nWith the embedded database, stop the server first.';
const seq = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const batch = z.coerce.number().int().min(1).max(10_000);
const facility = z.coerce.number().int().min(0).max(23);
const timeout = z.coerce.number().int().min(100).max(600_000);

function parseOr<T>(schema: z.ZodType<T>, value: unknown, option: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AppError(RequestErrors.invalid, { detail: `${option}: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
  return parsed.data;
}

async function tenantOf(ctx: AppContext, slug: string): Promise<Tenant> {
  const tenant = await ctx.tenants.findTenantBySlug(slug);
  if (tenant === undefined) throw new AppError(TenantErrors.not_found, { detail: 'No tenant with that slug' });
  return tenant;
}

interface ExportOptions {
  tenant: string;
  format: string;
  out?: string;
  syslog?: string;
  syslogCa?: string;
  facility: string;
  hostname?: string;
  timeout: string;
  from?: string;
  cursorFile?: string;
  batch: string;
  json?: boolean;
}

interface ReportOptions {
  tenant: string;
  customer: string;
  format: string;
  order: string;
  out?: string;
}

/**
 * `custodia ledger export` and `custodia ledger access-report`: the ledger for SIEMs (JSON lines
 * or CEF, to a file, standard output or syslog over TCP/TLS, resumable from a cursor file) and
 * the access report of one customer (JSON, CSV or HTML).
 */
export function ledgerExportCommands(program: Command): void {
  const group = program.commands.find((c) => c.name() === 'ledger') ?? program.command('ledger').description("Inspect, verify and export a tenant's audit ledger.");

  group
    .command('export')
    .description('Export sequenced ledger entries of a tenant as JSON lines or CEF, to a file, standard output or a syslog receiver.')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .option('--format <format>', `${exportFormats.join(' or ')}`, 'jsonl')
    .option('--out <file>', 'append to this file (created 0600; fsync after every batch)')
    .option('--syslog <url>', 'send to a syslog receiver: tcp://host:port or tls://host:port (RFC 5424 messages, RFC 6587 octet counting)')
    .option('--syslog-ca <file>', 'with tls://: PEM file of the CA certificates to trust instead of the default ones')
    .option('--facility <n>', 'syslog facility 0-23', String(DEFAULT_SYSLOG_FACILITY))
    .option('--hostname <name>', 'syslog HOSTNAME field (default: this machine)')
    .option('--timeout <ms>', 'syslog: time allowed per batch (connect, send, close)', '30000')
    .option('--from <seq>', 'first sequence number to export (overrides the cursor file; default 0)')
    .option('--cursor-file <file>', 'read the cursor from this file and store the next one in it after every delivered batch')
    .option('--batch <n>', 'entries per batch (one delivery, one cursor update)', '500')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Delivery is at least once: the cursor file moves only after a batch was accepted (file: written
and fsync'ed; syslog: the receiver read it and closed the connection in answer to ours, one
connection per batch). Run the same command again after a failure: it resumes at the first
entry not acknowledged, resending at most one batch. Deduplicate on seq (CEF: externalId).
Without --out or --syslog the entries go to standard output and the summary to standard error.
Entries sequenced while the export runs are left for the next run.${STOPPED}`,
    )
    .action(async (options: ExportOptions, command: Command) => {
      const format = parseOr(z.enum(exportFormats), options.format, '--format');
      const batchSize = parseOr(batch, options.batch, '--batch');
      const from = options.from === undefined ? undefined : parseOr(seq, options.from, '--from');
      if (options.out !== undefined && options.syslog !== undefined) throw new AppError(RequestErrors.invalid, { detail: 'Give --out or --syslog, not both' });
      const target = options.syslog === undefined ? undefined : parseSyslog(options.syslog);
      if (options.syslogCa !== undefined && target?.protocol !== 'tls') throw new AppError(RequestErrors.invalid, { detail: '--syslog-ca goes with --syslog tls://...' });
      const syslogOptions = {
        facility: parseOr(facility, options.facility, '--facility'),
        timeoutMs: parseOr(timeout, options.timeout, '--timeout'),
        ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
        ...(options.syslogCa === undefined ? {} : { ca: readCa(options.syslogCa) }),
      };
      const toStdout = options.out === undefined && target === undefined;
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      await withContext(config, async (ctx) => {
        const tenant = await tenantOf(ctx, options.tenant);
        const saved = options.cursorFile === undefined ? undefined : await readCursorFile(options.cursorFile, tenant.id);
        const start = from ?? saved ?? 0;
        let sink: ExportSink;
        if (target !== undefined) sink = syslogSink(target, syslogOptions);
        else if (options.out !== undefined) sink = await fileSink(options.out);
        else sink = streamSink(process.stdout);
        let result: ExportResult;
        try {
          result = await exportLedger({
            db: ctx.db,
            tenantId: tenant.id,
            from: start,
            format,
            sink,
            batchSize,
            onBatch: async (progress) => {
              if (options.cursorFile !== undefined) await writeCursorFile(options.cursorFile, tenant.id, progress.next, ctx.clock.now());
            },
          });
        } finally {
          await sink.close();
        }
        // The cursor file exists after a run even when there was nothing to send.
        if (options.cursorFile !== undefined && result.batches === 0 && saved !== result.next) await writeCursorFile(options.cursorFile, tenant.id, result.next, ctx.clock.now());
        const summary = { tenant: options.tenant, format, destination: sink.description, from: result.from, next: result.next, exported: result.exported, batches: result.batches, treeSize: result.treeSize };
        const print = toStdout ? (text: string) => process.stderr.write(`${text}\n`) : (text: string) => printLines([text]);
        if (options.json === true) {
          if (toStdout) print(JSON.stringify(summary));
          else printJson(summary);
          return;
        }
        print(
          result.exported === 0
            ? `Nothing to export: the ledger has ${result.treeSize} entries and the cursor is at ${result.next}.`
            : `Exported ${result.exported} entries (seq ${result.from}..${result.next - 1}) to ${sink.description} in ${result.batches} ${result.batches === 1 ? 'batch' : 'batches'}. Next cursor: ${result.next}.`,
        );
      });
    });

  group
    .command('access-report')
    .description('Show who accessed which fields of one customer, when and why (the data-subject access report).')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--customer <uuid>', 'customer id')
    .option('--format <format>', accessReportFormats.join(', '), 'json')
    .option('--order <order>', 'newest (first) or oldest', 'newest')
    .option('--out <file>', 'write the report to this file (created 0600) instead of standard output')
    .addHelpText('after', `\nThe same report over the API: GET /v1/platform/tenants/{id}/customers/{customerId}/access-report.${STOPPED}`)
    .action(async (options: ReportOptions, command: Command) => {
      const format = parseOr(z.enum(accessReportFormats), options.format, '--format');
      const order = parseOr(z.enum(['newest', 'oldest']), options.order, '--order');
      const customer = parseOr(z.uuid(), options.customer, '--customer');
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      await withContext(config, async (ctx) => {
        const tenant = await tenantOf(ctx, options.tenant);
        const report = await buildAccessReport({ db: ctx.db, ledger: ctx.ledger, clock: ctx.clock }, tenant.id, customer, { order });
        const text = format === 'csv' ? accessReportCsv(report) : format === 'html' ? accessReportHtml(report, { organisation: tenant.name }) : `${JSON.stringify(report, null, 2)}\n`;
        if (options.out === undefined) {
          process.stdout.write(text);
          return;
        }
        const handle = await open(options.out, 'w', 0o600);
        try {
          await handle.writeFile(text);
          await handle.sync();
        } finally {
          await handle.close();
        }
        printLines([`Wrote the access report (${report.rows.length} entries, tree size ${report.treeSize}) to ${options.out}.`]);
      });
    });
}

function parseSyslog(value: string): ReturnType<typeof parseSyslogUrl> {
  try {
    return parseSyslogUrl(value);
  } catch (error) {
    throw new AppError(RequestErrors.invalid, { detail: `--syslog: ${(error as Error).message}` });
  }
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new AppError(RequestErrors.invalid, { detail: `--syslog-ca: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})` });
  }
}
