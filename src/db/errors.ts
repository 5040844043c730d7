import { defineErrors } from '../platform/errors.js';

export const DbErrors = defineErrors('db', {
  unavailable: { status: 503, title: 'The database is unavailable' },
  schema_newer: { status: 500, title: 'The database schema is newer than this version of Custodia' },
  migration_modified: { status: 500, title: 'An applied migration was modified after it ran' },
  data_dir_locked: { status: 500, title: 'The data directory is in use by another Custodia process' },
  data_dir_not_owned: { status: 500, title: 'The data directory belongs to another user' },
  privileged_connection: { status: 500, title: 'The database login can bypass row-level security' },
});

/** Node and PostgreSQL error codes that mean "cannot talk to the database right now". */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08006', // connection_failure
  '53300', // too_many_connections
]);

export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  const message = (error as { message?: unknown }).message;
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed|PGlite is closed/i.test(
      message,
    )
  );
}

/** True for a unique-constraint violation, optionally of one named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; constraint?: unknown };
  return e.code === '23505' && (constraint === undefined || e.constraint === constraint);
}
