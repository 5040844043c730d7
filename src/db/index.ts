export { type Database, type OpenDatabaseOptions, type RawSession, type TenantScopeOptions, type Tx, openDatabase, openTenantScope } from './database.js';
export { secureDataDir } from './data-dir.js';
export { DbErrors, isConnectionError, isUniqueViolation } from './errors.js';
export { type Migration, type MigrationStatus, loadMigrations, migrate, migrationStatus } from './migrate.js';
export type { CustomersTable, DeviceStatus, InvitationsTable, PlatformTokensTable, Schema, SessionFactor, SessionLockReason, SessionRevokedReason, TenantsTable } from './schema.js';
export { type ConnectionIdentity, connectionIdentity } from './identity.js';
export { refreshGrownTables, refreshPlannerStatistics, startStatisticsRefresh } from './maintenance.js';
export { jsonColumn } from './json.js';
