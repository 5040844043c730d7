import type { Command } from 'commander';
import { z } from 'zod';
import { publicUrlOf } from '../../config/index.js';
import { DemoErrors, reissueDemoInvitations, seedDemo } from '../../demo/index.js';
import { AppError, RequestErrors } from '../../platform/errors.js';
import { cliConfig, type GlobalOptions, quietConfig, withContext } from '../context.js';
import { invitationJson, invitationLines } from '../invitation-lines.js';
import { printJson, printLines } from '../output.js';

const customersOption = z.coerce.number().int().min(0).max(1_000_000);

export function demoCommand(program: Command): void {
  program
    .command('demo')
    .description('Create the demo tenant (synthetic data) if it does not exist, or reissue its invitations.')
    .option('--customers <n>', 'number of synthetic customers on first creation', '200')
    .option('--reissue', 'revoke the open demo invitations and print new links')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nRefused when NODE_ENV=production. With the embedded database, stop the server first.')
    .action(async (options: { customers: string; reissue?: boolean; json?: boolean }, command: Command) => {
      const customers = customersOption.safeParse(options.customers);
      if (!customers.success) throw new AppError(RequestErrors.invalid, { detail: '--customers: must be an integer from 0 to 1000000' });
      // Quiet like init and migrate: with --json, stdout must be one JSON document, not logs too.
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      // Refused before the database is opened, so a refused run does not even apply migrations.
      if (config.nodeEnv === 'production') throw new AppError(DemoErrors.refused_in_production);
      await withContext(config, async (ctx) => {
        const deps = { db: ctx.db, clock: ctx.clock, logger: ctx.logger, production: config.nodeEnv === 'production', invitationTtlHours: config.invitationTtlHours };
        const result = options.reissue === true ? await reissueDemoInvitations(deps) : await seedDemo(deps, { customers: customers.data });
        const url = publicUrlOf(config);
        if (options.json === true) {
          return printJson({ created: result.created, tenantId: result.tenantId, customers: result.customers, invitations: invitationJson(result.invitations, url) });
        }
        const head = result.created
          ? `Demo tenant created with ${result.customers} synthetic customers.`
          : `Demo tenant exists (${result.customers} customers).`;
        printLines(
          result.invitations.length > 0
            ? [head, 'One-time invitation links (shown once):', ...invitationLines(result.invitations, url)]
            : [head, 'Run with --reissue to issue new invitation links.'],
        );
      });
    });
}
