/**
 * Server-side prepared statements for PostgreSQL: each distinct query text that Kysely sends gets
 * a name, so a connection parses it once and the server can reuse its plan (a generic plan after
 * five executions) instead of parsing, rewriting and planning it on every request. On a request
 * of a dozen short statements, planning is most of the database's CPU time: the risk engine's
 * one-statement signal query plans in about 0.5 ms and executes in under 0.1 ms.
 *
 * Why this is safe with row-level security: policies read the tenant through STABLE functions
 * (`app_current_tenant()`, migration 0001), which a plan evaluates at each execution, never at
 * planning time, and PostgreSQL replans a cached statement when the role it was planned for
 * changes (every transaction switches to the application role). `test/db/prepared-statements.test.ts`
 * runs one statement past the generic-plan switch for one tenant, then for another, on a single
 * connection.
 *
 * Bounds: a connection prepares at most `perConnection` distinct texts (queries with lists of
 * varying length produce many); past that, new texts run unnamed as before. Names are a digest of
 * the text, so one text has the same name on every connection and two texts never share one.
 *
 * A migration that adds a column to a table while a process runs (a rolling upgrade) makes the
 * server refuse that process's prepared `select *` on it once ("cached plan must not change
 * result type"); the statement then runs unnamed on that connection from the next time on.
 */
import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

export interface PreparedStatementOptions {
  /** Distinct statements one connection keeps prepared (default 256). */
  readonly perConnection?: number;
}

// Statements worth a plan: utility statements (begin, commit, savepoints, set) gain nothing.
const PLANNABLE = /^\s*(select|insert|update|delete|with)\b/i;
const NAME_CACHE_LIMIT = 4_096;

/** Whether an error is PostgreSQL's refusal to run a prepared `*` query whose table changed shape. */
export function isStalePlanError(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '0A000' && /cached plan must not change result type/.test(String((error as { message?: unknown }).message));
}

/** Kysely's pool for node-postgres, with named statements on each client it hands out. */
export function withPreparedStatements(pool: pg.Pool, options: PreparedStatementOptions = {}): PostgresPool {
  const perConnection = options.perConnection ?? 256;
  const prepared = new WeakMap<pg.PoolClient, Set<string>>();
  const stale = new WeakMap<pg.PoolClient, Set<string>>();
  const names = new Map<string, string>();

  function nameOf(text: string): string {
    let name = names.get(text);
    if (name === undefined) {
      name = `custodia_${createHash('sha256').update(text).digest('base64url').slice(0, 32)}`;
      if (names.size >= NAME_CACHE_LIMIT) names.clear();
      names.set(text, name);
    }
    return name;
  }

  function statementName(client: pg.PoolClient, text: string): string | undefined {
    if (!PLANNABLE.test(text) || stale.get(client)?.has(text) === true) return undefined;
    let onClient = prepared.get(client);
    if (onClient === undefined) {
      onClient = new Set();
      prepared.set(client, onClient);
    }
    const name = nameOf(text);
    if (onClient.has(name)) return name;
    if (onClient.size >= perConnection) return undefined;
    onClient.add(name);
    return name;
  }

  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      return {
        query: ((textOrCursor: string | pg.Submittable, parameters?: readonly unknown[]): unknown => {
          // A cursor (Kysely's streaming) goes through untouched.
          if (typeof textOrCursor !== 'string') return client.query(textOrCursor);
          const name = statementName(client, textOrCursor);
          const values = parameters === undefined ? [] : [...parameters];
          if (name === undefined) return client.query(textOrCursor, values);
          return client.query({ name, text: textOrCursor, values }).catch((error: unknown) => {
            if (isStalePlanError(error)) {
              const texts = stale.get(client) ?? new Set<string>();
              texts.add(textOrCursor);
              stale.set(client, texts);
            }
            throw error;
          });
        }) as unknown as PostgresPoolClient['query'],
        release: () => {
          client.release();
        },
      };
    },
    end: () => pool.end(),
  };
}
