import type { Command } from 'commander';
import { DemoErrors, seedDemo } from '../../demo/index.js';
import { AppError } from '../../platform/errors.js';
import { createContext } from '../../server/context.js';
import { startServer, stopOnSignals } from '../../server/listen.js';
import { issueFirstPlatformToken } from '../../tenants/index.js';
import { VERSION } from '../../version.js';
import { cliConfig, type GlobalOptions } from '../context.js';
import { invitationLines } from '../invitation-lines.js';
import { printLines } from '../output.js';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('Start the HTTP server (applies pending migrations first).')
    .option('--demo', 'create the demo tenant on first start (refused when NODE_ENV=production)')
    .option('--port <port>', 'port to listen on (overrides PORT)')
    .option('--host <host>', 'address to listen on (overrides HOST)')
    .addHelpText(
      'after',
      '\nWith the embedded database (no DATABASE_URL) only one process may use the data directory;\nother commands that need the database must run while the server is stopped.',
    )
    .action(async (options: { demo?: boolean; port?: string; host?: string }, command: Command) => {
      const config = cliConfig(command.optsWithGlobals<GlobalOptions>(), { port: options.port, host: options.host });
      if (options.demo === true && config.nodeEnv === 'production') throw new AppError(DemoErrors.refused_in_production);
      const ctx = await createContext(config);
      let demo: Awaited<ReturnType<typeof seedDemo>> | undefined;
      let platformToken: string | undefined;
      try {
        if (options.demo === true) {
          demo = await seedDemo({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, production: false, invitationTtlHours: config.invitationTtlHours });
          // Issued whenever none exists yet, so a start interrupted after seeding still gets one.
          platformToken = (await issueFirstPlatformToken(ctx.db, ctx.clock.now()))?.token;
        }
      } catch (error) {
        await ctx.close();
        throw error;
      }
      const server = await startServer(ctx).catch(async (error: unknown) => {
        await ctx.close();
        throw error;
      });
      stopOnSignals(server, ctx);
      const lines = [
        '',
        `Custodia ${VERSION} is running at ${server.url}`,
        `  database:  ${ctx.db.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)'}`,
        `  API docs:  ${server.url}/docs   (OpenAPI: ${server.url}/openapi.json)`,
        `  health:    ${server.url}/readyz`,
      ];
      if (demo !== undefined) {
        if (demo.created) {
          lines.push('', `Demo tenant "demo" created with ${demo.invitations.length} staff invitations and ${demo.customers} synthetic customers.`);
          if (platformToken !== undefined) {
            lines.push(
              '',
              'Platform administrator token (shown once; only its hash is stored):',
              `    ${platformToken}`,
              `    curl -H "Authorization: Bearer ${platformToken}" ${server.url}/v1/platform/tenants`,
            );
          }
          lines.push('', `How to log in: each person opens their one-time invitation link (valid ${config.invitationTtlHours} h):`, ...invitationLines(demo.invitations, ctx.publicUrl));
        } else {
          lines.push(
            '',
            `Demo tenant "demo" already exists (${demo.customers} customers); nothing was reseeded.`,
            'Invitation links are shown once, when issued. To issue new ones, stop the server and run:',
            '    npx custodia demo --reissue',
          );
        }
      }
      lines.push('', 'Stop with Ctrl-C (in-flight requests finish first).', '');
      printLines(lines);
    });
}
