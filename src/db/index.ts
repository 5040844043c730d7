export { type Database, type OpenDatabaseOptions, type RawSession, type Tx, APP_ROLE, openDatabase, openTenantScope } from './database.js';
export { DbErrors, isConnectionError, isUniqueViolation } from './errors.js';
export { type Migration, type MigrationStatus, loadMigrations, migrate, migrationStatus } from './migrate.js';
export type { CustomersTable, InvitationsTable, PlatformTokensTable, Schema, TenantsTable } from './schema.js';
