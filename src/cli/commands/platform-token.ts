import type { Command } from 'commander';
import { z } from 'zod';
import { AppError, RequestErrors } from '../../platform/errors.js';
import { isUuid } from '../../platform/ids.js';
import { issuePlatformToken, listPlatformTokens, revokePlatformToken } from '../../tenants/index.js';
import { cliConfig, type GlobalOptions, quietConfig, withContext } from '../context.js';
import { printJson, printLines } from '../output.js';

const createOptions = z.object({
  name: z.string().trim().min(1).max(100),
  expiresDays: z.coerce.number().int().min(1).max(3650).optional(),
  json: z.boolean().optional(),
});

const STOPPED = '\nWith the embedded database, stop the server first.';

/**
 * Platform administrator tokens from the command line: whoever can run the CLI against the
 * database can replace a lost token or revoke a leaked one.
 */
export function platformTokenCommand(program: Command): void {
  const group = program.command('platform-token').description('Create, list and revoke platform administrator tokens.');

  group
    .command('create')
    .description('Create a platform administrator token (printed once; only its hash is stored).')
    .requiredOption('--name <name>', 'what the token is for, e.g. "terraform" or "alice laptop"')
    .option('--expires-days <n>', 'days until the token expires (default: never)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', STOPPED)
    .action(async (raw: Record<string, unknown>, command: Command) => {
      const parsed = createOptions.safeParse(raw);
      if (!parsed.success) throw new AppError(RequestErrors.invalid, { detail: `--${String(parsed.error.issues[0]?.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
      const options = parsed.data;
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      await withContext(config, async (ctx) => {
        const now = ctx.clock.now();
        const expiresAt = options.expiresDays === undefined ? undefined : new Date(now.getTime() + options.expiresDays * 86_400_000);
        const issued = await issuePlatformToken(ctx.db, { name: options.name, now, ...(expiresAt === undefined ? {} : { expiresAt }) });
        if (options.json === true) return printJson({ id: issued.id, name: issued.name, token: issued.token, expiresAt: expiresAt?.toISOString() ?? null });
        printLines([`Platform token "${issued.name}" (${issued.id}), shown once:`, `    ${issued.token}`, expiresAt === undefined ? 'It does not expire; revoke it with `custodia platform-token revoke <id>`.' : `It expires at ${expiresAt.toISOString()}.`]);
      });
    });

  group
    .command('list')
    .description('List platform tokens (never their secrets).')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', STOPPED)
    .action(async (options: { json?: boolean }, command: Command) => {
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      await withContext(config, async (ctx) => {
        const tokens = await listPlatformTokens(ctx.db);
        if (options.json === true) return printJson({ tokens });
        const state = (t: (typeof tokens)[number]) => (t.revokedAt !== null ? 'revoked' : t.expiresAt !== null && t.expiresAt <= ctx.clock.now() ? 'expired' : 'active');
        printLines(tokens.length === 0 ? ['no platform tokens'] : tokens.map((t) => `${t.id}  ${state(t).padEnd(8)} ${t.name}  created ${t.createdAt.toISOString()}  last used ${t.lastUsedAt?.toISOString() ?? 'never'}`));
      });
    });

  group
    .command('revoke')
    .description('Revoke a platform token by id; it stops working at once.')
    .argument('<id>', 'token id (from `custodia platform-token list`)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', STOPPED)
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      if (!isUuid(id)) throw new AppError(RequestErrors.invalid, { detail: '<id>: must be a token id (uuid)' });
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      await withContext(config, async (ctx) => {
        const revoked = await revokePlatformToken(ctx.db, id, ctx.clock.now());
        if (!revoked) throw new AppError(RequestErrors.not_found, { detail: 'No active platform token with that id' });
        if (options.json === true) return printJson({ id, revoked: true });
        printLines([`Platform token ${id} revoked.`]);
      });
    });
}
