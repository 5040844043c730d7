import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { exportArchive } from '../../ledger/archive.js';
import { loadSigner, type LedgerSigner, signingKeys } from '../../ledger/index.js';
import { proveConsistency, proveInclusion, treeHeadView } from '../../ledger/proofs.js';
import { publicKeyFromRaw } from '../../ledger/signing.js';
import { type Finding, type VerifyReport, verifyArchive, verifyDatabase } from '../../ledger/verify.js';
import { AppError, RequestErrors } from '../../platform/errors.js';
import type { AppContext } from '../../server/context.js';
import { TenantErrors } from '../../tenants/index.js';
import { createKeyProvider } from '../../vault/index.js';
import { cliConfig, type GlobalOptions, quietConfig, withContext } from '../context.js';
import { EXIT_FAILURE, printJson, printLines } from '../output.js';

const STOPPED = '\nWith the embedded database, stop the server first.';
const seqSchema = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const sizeSchema = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

function readableFile(file: string, option: string): string {
  if (!existsSync(file) || !statSync(file).isFile()) throw new AppError(RequestErrors.invalid, { detail: `${option}: no such file: ${file}` });
  return file;
}

/** `--key` values: raw 32-byte Ed25519 public keys in base64 (as `ledger pubkey` prints them). */
function trustedKeys(values: readonly string[] | undefined): Buffer[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  return values.map((value) => {
    const raw = Buffer.from(value, 'base64');
    if (raw.length !== 32 || raw.toString('base64') !== value) throw new AppError(RequestErrors.invalid, { detail: '--key: a raw Ed25519 public key in base64 (44 characters), as `custodia ledger pubkey` prints it' });
    return raw;
  });
}

function where(f: Finding): string {
  if (f.seq !== undefined) return f.toSeq !== undefined && f.toSeq !== f.seq ? `entries ${f.seq}-${f.toSeq}` : `entry ${f.seq}`;
  if (f.size !== undefined) return `checkpoint ${f.size}`;
  return f.where ?? 'file';
}

const KEYS: Record<VerifyReport['keys'], string> = {
  given: 'with the --key keys',
  database: "with the database's keys; pass --key to pin the published one",
  archive: "with the file's own keys",
};

function reportLines(r: VerifyReport, name: string): string[] {
  const latest = r.checkpoints.latest;
  const lines = [
    `Ledger of ${name} (${r.source}): ${r.entries} entries, root ${r.root}`,
    `Checkpoints: ${r.checkpoints.valid} of ${r.checkpoints.checked} validly signed (${KEYS[r.keys]})${latest === null ? '' : `; the latest that matches: size ${latest.size}, ${latest.time}, key ${latest.keyId}`}`,
  ];
  if (r.witness !== null) lines.push(`Witness: ${r.witness.checked} of ${r.witness.records} records compared`);
  if (r.keys === 'archive') lines.push('Warning: signatures were checked with the keys named in the file itself; pass --key with the published key to pin it.');
  if (r.unsigned > 0) lines.push(`Not covered by a checkpoint that matches: the last ${r.unsigned} entries.`);
  if (r.queued !== null && r.queued > 0) lines.push(`Queued, not yet in the tree: ${r.queued} entries (run \`custodia ledger sequence\` or start the server).`);
  const [first, ...rest] = r.findings;
  if (first === undefined) {
    lines.push('Intact: every entry, stored hash and checkpoint checks out.');
    return lines;
  }
  // Messages name their entry for JSON readers; here the prefix already does.
  const say = (f: Finding) => `${f.kind} at ${where(f)}: ${f.message.replace(/^entry \d+: /, '')}`;
  lines.push(`TAMPERED: ${say(first)}`);
  for (const f of rest.slice(0, 19)) lines.push(`  also ${say(f)}`);
  const more = rest.length - Math.min(rest.length, 19) + r.moreFindings;
  if (more > 0) lines.push(`  and ${more} more (--json lists up to 100)`);
  return lines;
}

function proofLines(title: string, fields: Record<string, unknown>): string[] {
  return [title, ...Object.entries(fields).map(([k, v]) => `  ${k}: ${Array.isArray(v) ? (v.length === 0 ? '(none)' : `\n    ${v.join('\n    ')}`) : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)];
}

/** `custodia ledger`: verify, keys, proofs, archive and sequencing of a tenant's audit ledger. */
export function ledgerCommand(program: Command): void {
  const group = program.commands.find((c) => c.name() === 'ledger') ?? program.command('ledger').description("Inspect, verify and export a tenant's audit ledger.");

  group
    .command('verify')
    .description('Recompute the Merkle tree and check every entry, stored hash, checkpoint signature and the tree head; report the first entry that was edited, deleted, inserted or reordered.')
    .option('--tenant <slug>', 'tenant slug (the database); with --file, the tenant the archive must belong to')
    .option('--file <archive>', 'verify an archive file (`custodia ledger archive`) instead of the database; needs no database')
    .option('--witness <file>', 'also compare every checkpoint with this witness file (CUSTODIA_LEDGER_WITNESS)')
    .option('--key <base64>', 'trust only this public key (repeatable); default: the keys in the database, or in the archive', (value: string, previous: string[] = []) => [...previous, value])
    .option('--full', 'also check every entry against the entry schema and compare every stored tree node (slower)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 intact, 1 tampering found (or the check could not run), 2 bad usage.\nWith the embedded database, stop the server first (or verify an archive with --file).',
    )
    .action(async (options: { tenant?: string; file?: string; witness?: string; key?: string[]; full?: boolean; json?: boolean }, command: Command) => {
      if (options.tenant === undefined && options.file === undefined) throw new AppError(RequestErrors.invalid, { detail: 'give --tenant <slug>, --file <archive>, or both' });
      const keys = trustedKeys(options.key);
      const witness = options.witness === undefined ? undefined : readableFile(options.witness, '--witness');
      const file = options.file === undefined ? undefined : readableFile(options.file, '--file');
      const common = { ...(keys === undefined ? {} : { trustedKeys: keys }), ...(witness === undefined ? {} : { witness }), full: options.full === true };
      let report: VerifyReport;
      let name: string;
      if (file !== undefined && (options.tenant === undefined || UUID.test(options.tenant))) {
        // Offline: no configuration, no database.
        report = await verifyArchive(file, { ...common, ...(options.tenant === undefined ? {} : { tenantId: options.tenant.toLowerCase() }) });
        name = options.tenant ?? report.tenant;
      } else {
        const slug = options.tenant as string;
        const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
        report = await withContext(config, async (ctx) => {
          const tenantId = await tenantIdOf(ctx, slug);
          if (file === undefined) return verifyDatabase(ctx.db, tenantId, common);
          // An archive of a tenant of this deployment: the deployment's keys are the trusted ones.
          if (keys !== undefined) return verifyArchive(file, { ...common, tenantId });
          const stored = (await signingKeys(ctx.db)).map((k) => k.publicKey);
          return verifyArchive(file, { ...common, trustedKeys: stored, trustedKeysFrom: 'database', tenantId });
        });
        name = slug;
      }
      if (options.json === true) printJson(report);
      else printLines(reportLines(report, name));
      if (!report.ok) process.exitCode = EXIT_FAILURE;
    });

  group
    .command('pubkey')
    .description('Print the public keys that sign checkpoints (raw base64 and PEM); creates the signing key if there is none yet.')
    .option('--json', 'print the keys as JSON')
    .addHelpText('after', `\nPublish it, or save it outside this system: \`ledger verify --key\` then trusts only it.${STOPPED}`)
    .action(async (options: { json?: boolean }, command: Command) => {
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      await withContext(config, async (ctx) => {
        const current: LedgerSigner = await loadSigner(ctx.db, createKeyProvider(config, ctx.logger), ctx.clock);
        const keys = (await signingKeys(ctx.db)).map((k) => ({
          keyId: k.keyId,
          publicKey: k.publicKey.toString('base64'),
          pem: publicKeyFromRaw(k.publicKey).export({ type: 'spki', format: 'pem' }).toString(),
          createdAt: k.createdAt.toISOString(),
          current: k.keyId === current.keyId,
        }));
        if (options.json === true) return printJson({ algorithm: 'Ed25519', current: current.keyId, keys });
        printLines(keys.flatMap((k) => [`key ${k.keyId}${k.current ? ' (current)' : ''}  created ${k.createdAt}`, `  Ed25519 public key (raw, base64): ${k.publicKey}`, ...k.pem.trimEnd().split('\n').map((l) => `  ${l}`)]));
      });
    });

  const prove = group.command('prove').description('Print an inclusion or consistency proof (RFC 9162).');

  prove
    .command('inclusion')
    .description('Prove that entry --seq is in the tree of --size entries (default: the latest signed checkpoint covering it).')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--seq <i>', 'sequence number of the entry')
    .option('--size <n>', 'tree size')
    .option('--json', 'print the proof as JSON')
    .addHelpText('after', STOPPED)
    .action(async (options: { tenant: string; seq: string; size?: string; json?: boolean }, command: Command) => {
      const seq = parseOr(seqSchema, options.seq, '--seq');
      const size = options.size === undefined ? undefined : parseOr(sizeSchema, options.size, '--size');
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      await withContext(config, async (ctx) => {
        const tenantId = await tenantIdOf(ctx, options.tenant);
        const proof = await ctx.db.withTenant(tenantId, (tx) => proveInclusion(ctx.ledger, tx, tenantId, seq, size));
        if (options.json === true) return printJson({ tenant: tenantId, ...proof });
        printLines(proofLines(`Inclusion of entry ${proof.seq} in the tree of ${proof.size} entries:`, { ...proof }));
      });
    });

  prove
    .command('consistency')
    .description('Prove that the tree of --from entries is a prefix of the tree of --to (default: the latest signed checkpoint).')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--from <m>', 'the older tree size')
    .option('--to <n>', 'the newer tree size')
    .option('--json', 'print the proof as JSON')
    .addHelpText('after', STOPPED)
    .action(async (options: { tenant: string; from: string; to?: string; json?: boolean }, command: Command) => {
      const from = parseOr(sizeSchema, options.from, '--from');
      const to = options.to === undefined ? undefined : parseOr(sizeSchema, options.to, '--to');
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      await withContext(config, async (ctx) => {
        const tenantId = await tenantIdOf(ctx, options.tenant);
        const proof = await ctx.db.withTenant(tenantId, (tx) => proveConsistency(ctx.ledger, tx, tenantId, from, to));
        if (options.json === true) return printJson({ tenant: tenantId, ...proof });
        printLines(proofLines(`Consistency of the tree of ${proof.from} entries with the tree of ${proof.to}:`, { ...proof }));
      });
    });

  group
    .command('archive')
    .description('Write the whole ledger of a tenant (entries, checkpoints, public keys) to a file that `ledger verify --file` checks without the database.')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--out <file>', 'the archive file (created with mode 0600)')
    .option('--force', 'replace the file if it exists')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', STOPPED)
    .action(async (options: { tenant: string; out: string; force?: boolean; json?: boolean }, command: Command) => {
      if (options.force !== true && existsSync(options.out)) throw new AppError(RequestErrors.invalid, { detail: `--out: ${options.out} exists; pass --force to replace it` });
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      await withContext(config, async (ctx) => {
        const tenantId = await tenantIdOf(ctx, options.tenant);
        const result = await exportArchive(ctx.db, tenantId, options.out, { force: options.force === true, now: ctx.clock.now() }).catch((error: unknown) => {
          if ((error as { code?: unknown }).code === 'EEXIST') throw new AppError(RequestErrors.invalid, { detail: `--out: ${options.out} exists; pass --force to replace it` });
          throw error;
        });
        if (options.json === true) return printJson(result);
        printLines([`Wrote ${result.entries} entries and ${result.checkpoints} checkpoint${result.checkpoints === 1 ? '' : 's'} of ${options.tenant} to ${result.file} (${result.bytes} bytes).`, `Check it with: custodia ledger verify --file ${JSON.stringify(result.file)} --key <the published key>`]);
      });
    });

  group
    .command('sequence')
    .description('Move queued entries into the tree now and sign a checkpoint if one is due (what the server does continuously).')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .option('--checkpoint', 'also sign a checkpoint of the tree as it is now, due or not')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', STOPPED)
    .action(async (options: { tenant: string; checkpoint?: boolean; json?: boolean }, command: Command) => {
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      await withContext(config, async (ctx) => {
        const tenantId = await tenantIdOf(ctx, options.tenant);
        const before = await ctx.db.withTenant(tenantId, (tx) => ctx.ledger.treeHead(tx, tenantId));
        const result = await ctx.ledger.sequenceAll(tenantId);
        if (!result.ran) throw new Error('another process is sequencing this ledger (the server?); nothing was done');
        const signed = options.checkpoint === true ? await ctx.ledger.checkpointNow(tenantId) : undefined;
        const head = await ctx.db.withTenant(tenantId, (tx) => treeHeadView(ctx.ledger, tx, tenantId));
        const appended = head.size - before.size;
        if (options.json === true) return printJson({ tenant: tenantId, appended, ...head, signed: signed !== undefined });
        printLines([
          `Sequenced ${appended} entries; the tree has ${head.size}.`,
          head.checkpoint === null ? 'No checkpoint signed yet.' : `Latest checkpoint: size ${head.checkpoint.size}, ${head.checkpoint.time}${signed !== undefined ? ' (signed now)' : ''}.`,
        ]);
      });
    });
}
