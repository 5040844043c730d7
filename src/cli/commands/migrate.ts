import type { Command } from 'commander';
import { migrationStatus } from '../../db/index.js';
import { cliConfig, type GlobalOptions, quietConfig, withContext } from '../context.js';
import { printJson, printLines } from '../output.js';

export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (the server also does this at start-up).')
    .option('--status', 'only show which migrations are applied and pending')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nWith the embedded database, stop the server first.')
    .action(async (options: { status?: boolean; json?: boolean }, command: Command) => {
      const config = quietConfig(cliConfig(command.optsWithGlobals<GlobalOptions>()));
      const statusOnly = options.status === true;
      await withContext(
        config,
        async (ctx) => {
          const status = await migrationStatus(ctx.db);
          if (options.json === true) return printJson(status);
          printLines([
            `schema version ${status.current} of ${status.latest}`,
            ...(status.pending.length === 0
              ? ['up to date']
              : [`pending: ${status.pending.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`).join(', ')}`]),
          ]);
        },
        { migrate: !statusOnly },
      );
    });
}
