import type { Command } from 'commander';
import { z } from 'zod';
import { publicUrlOf } from '../../config/index.js';
import { AppError, RequestErrors } from '../../platform/errors.js';
import { issueFirstPlatformToken, tenantSlugSchema } from '../../tenants/index.js';
import { ensureLocalKeyFile } from '../../vault/index.js';
import { cliConfig, type GlobalOptions, quietConfig, withContext } from '../context.js';
import { invitationJson, invitationLines } from '../invitation-lines.js';
import { printJson, printLines } from '../output.js';

const initOptions = z.object({
  slug: tenantSlugSchema,
  name: z.string().trim().min(1).max(200),
  adminEmail: z.email().max(254).toLowerCase(),
  json: z.boolean().optional(),
});

export function initCommand(program: Command): void {
  program
    .command('init')
    .description('Create a tenant and a one-time invitation link for its first administrator.')
    .requiredOption('--slug <slug>', 'tenant slug: lowercase letters, digits, inner hyphens (2-40)')
    .requiredOption('--name <name>', 'tenant display name')
    .requiredOption('--admin-email <email>', 'email of the first tenant administrator')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nThe first time it runs on a database, it also prints a platform administrator token\n(for the tenant API), shown once. No passwords are created: the administrator sets\ntheir own through the invitation link.\nWith the embedded database, stop the server first.',
    )
    .action(async (raw: Record<string, unknown>, command: Command) => {
      const parsed = initOptions.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new AppError(RequestErrors.invalid, { detail: `--${String(issue?.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue?.message ?? 'invalid'}` });
      }
      const options = parsed.data;
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      // The local root key file is created here, by the operator's explicit command (0600).
      const keyFile = config.keyProvider === 'local' ? ensureLocalKeyFile(config) : undefined;
      await withContext(config, async (ctx) => {
        const { tenant, invitation } = await ctx.tenants.createTenant({ slug: options.slug, name: options.name, adminEmail: options.adminEmail, actor: 'cli:init' });
        const platform = await issueFirstPlatformToken(ctx.db, ctx.clock.now());
        const url = publicUrlOf(config);
        const invitations = invitation === undefined ? [] : [invitation];
        if (options.json === true) {
          printJson({
            tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name },
            invitations: invitationJson(invitations, url),
            ...(platform === undefined ? {} : { platformToken: platform.token }),
            ...(keyFile?.created === true ? { keyFileCreated: keyFile.file } : {}),
          });
          return;
        }
        const lines = [`Tenant "${tenant.slug}" (${tenant.name}) created: ${tenant.id}`, '', 'First administrator invitation (one-time link, shown once):', ...invitationLines(invitations, url)];
        if (platform !== undefined) lines.push('', 'Platform administrator token (shown once; only its hash is stored):', `    ${platform.token}`);
        if (keyFile?.created === true) lines.push('', `Root key file created: ${keyFile.file} (mode 0600). Back it up apart from the database: without it, encrypted data is lost.`);
        printLines(lines);
      });
    });
}
