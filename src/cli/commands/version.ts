import type { Command } from 'commander';
import { loadMigrations } from '../../db/index.js';
import { VERSION } from '../../version.js';
import { printJson, printLines } from '../output.js';

export function versionCommand(program: Command): void {
  program
    .command('version')
    .description('Print the version of Custodia and of its database schema.')
    .option('--json', 'print the result as JSON')
    .action((options: { json?: boolean }) => {
      const info = { version: VERSION, schemaVersion: loadMigrations().length, node: process.versions.node };
      if (options.json === true) printJson(info);
      else printLines([`custodia ${info.version} (schema ${info.schemaVersion}, node ${info.node})`]);
    });
}
