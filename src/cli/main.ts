/**
 * The `custodia` command. Each subcommand lives in `commands/`; this file wires them and maps
 * failures to exit codes (1 runtime, 2 usage or configuration).
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { accessCommand } from './commands/access.js';
import { customersCommand } from './commands/customers.js';
import { demoCommand } from './commands/demo.js';
import { initCommand } from './commands/init.js';
import { keysCommand } from './commands/keys.js';
import { ledgerCommand } from './commands/ledger.js';
import { ledgerExportCommands } from './commands/ledger-export.js';
import { migrateCommand } from './commands/migrate.js';
import { platformTokenCommand } from './commands/platform-token.js';
import { redactCommand } from './commands/redact.js';
import { serveCommand } from './commands/serve.js';
import { versionCommand } from './commands/version.js';
import { EXIT_USAGE, reportError } from './output.js';

// Files this process creates (the embedded database, key files) are private to its user: PGlite
// asks for 0644 and 0666 (its WAL), which the default umask 022 would leave readable by everyone.
process.umask(0o077);

const program = new Command('custodia')
  .description('Custodia: the security layer for customer-contact centers.')
  .version(VERSION, '-V, --version', 'print the version')
  .option('-c, --config <file>', 'JSON config file (default: $CUSTODIA_CONFIG); environment variables win over it')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

serveCommand(program);
initCommand(program);
migrateCommand(program);
demoCommand(program);
platformTokenCommand(program);
keysCommand(program);
ledgerCommand(program);
ledgerExportCommands(program);
customersCommand(program);
accessCommand(program);
redactCommand(program);
versionCommand(program);

// Every (sub)command reports failures back here instead of exiting on its own.
const overrideExits = (command: Command): void => {
  command.exitOverride();
  command.commands.forEach(overrideExits);
};
overrideExits(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version "fail" with exit code 0; real usage errors were already printed.
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
  } else {
    process.exitCode = reportError(error, process.argv.includes('--json'));
  }
}
