/**
 * A Kysely dialect for PGlite. PGlite is one PostgreSQL backend in this process: one session, so
 * every caller must have it exclusively for the whole of a transaction. The dialect hands out that
 * single connection under a mutex, which makes Kysely transactions isolated exactly as they are on
 * a pooled server.
 *
 * Planned statements (select, insert, update, delete, with) run as named prepared statements
 * through PGlite's protocol interface, like the PostgreSQL pool's (prepared-statements.ts): the
 * backend parses and plans each distinct text once, and bind, execute and sync go in one message
 * to the WebAssembly backend instead of five calls. A statement costs about half as much (0.18 ms
 * to 0.08 ms for a primary-key read, 2.2 ms to 0.8 ms for the risk engine's signal query). The
 * result's row description is kept from the prepare, not asked for and parsed on every execution
 * (the benchmark's session lookup, a `select *` of one row: p50 0.16 to 0.13 ms).
 * Utility statements (begin, commit, set) and the migration runner's raw session use PGlite's own
 * `query`.
 */
import { type PGlite, parse, protocol } from '@electric-sql/pglite';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import { isStalePlanError } from './prepared-statements.js';

/** A FIFO mutex: one holder at a time, in arrival order. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  async lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.#tail;
    this.#tail = previous.then(() => next);
    await previous;
    return release;
  }
}

const PLANNABLE = /^\s*(select|insert|update|delete|with)\b/i;
// One backend holds them all; a text past the bound runs unnamed.
const MAX_PREPARED = 1_024;
const SYNC_OFF = { syncToFs: false } as const;

type BackendMessage = Awaited<ReturnType<PGlite['execProtocolStream']>>[number];

interface Prepared {
  readonly name: string;
  readonly types: readonly number[];
  /** What the statement returns, as described when it was prepared: the row description, or none for a statement without rows. */
  readonly rows: BackendMessage | undefined;
}

/** Statements prepared on each PGlite backend: every dialect on one instance shares its names. */
const preparedByInstance = new WeakMap<PGlite, Map<string, Prepared>>();

function message(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

class PGliteConnection implements DatabaseConnection {
  readonly #prepared: Map<string, Prepared>;
  // Texts whose prepared form went stale (a migration changed a table under a `select *`): unnamed from then on.
  readonly #unnamed = new Set<string>();

  constructor(private readonly pglite: PGlite) {
    let prepared = preparedByInstance.get(pglite);
    if (prepared === undefined) {
      prepared = new Map();
      preparedByInstance.set(pglite, prepared);
    }
    this.#prepared = prepared;
  }

  async #prepare(text: string): Promise<Prepared | undefined> {
    const known = this.#prepared.get(text);
    if (known !== undefined) return known;
    if (this.#prepared.size >= MAX_PREPARED) return undefined;
    const name = `custodia_${this.#prepared.size}`;
    const described = await this.pglite.execProtocolStream(message([protocol.serialize.parse({ name, text }), protocol.serialize.describe({ type: 'S', name }), protocol.serialize.sync()]), SYNC_OFF);
    // A prepared statement's result shape is fixed: PostgreSQL refuses to run it once a change
    // under it would alter that shape (the stale-plan error below), so its description is kept.
    const statement = { name, types: parse.parseDescribeStatementResults(described), rows: described.find((m) => m.name === 'rowDescription') };
    this.#prepared.set(text, statement);
    return statement;
  }

  async #runPrepared<R>(statement: Prepared, parameters: readonly unknown[]) {
    // Values are serialized as PGlite's own query does: by the parameter's type, else as text.
    const values = parameters.map((value, i) => {
      if (value === null || value === undefined) return null;
      const serializer = this.pglite.serializers[statement.types[i] as number];
      return serializer === undefined ? String(value) : serializer(value);
    });
    // No Describe per execution: the rows are read with the description kept at prepare time.
    const messages = await this.pglite.execProtocolStream(message([protocol.serialize.bind({ statement: statement.name, values }), protocol.serialize.execute({}), protocol.serialize.sync()]), SYNC_OFF);
    const [result] = parse.parseResults(statement.rows === undefined ? messages : [statement.rows, ...messages], this.pglite.parsers, { rowMode: 'object' });
    return result as unknown as { rows: R[]; affectedRows?: number };
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const text = compiled.sql;
    const statement = PLANNABLE.test(text) && !this.#unnamed.has(text) ? await this.#prepare(text) : undefined;
    let result: { rows: R[]; affectedRows?: number };
    if (statement === undefined) {
      result = await this.pglite.query<R>(text, [...compiled.parameters], { rowMode: 'object' });
    } else {
      try {
        result = await this.#runPrepared<R>(statement, compiled.parameters);
      } catch (error) {
        if (isStalePlanError(error)) this.#unnamed.add(text);
        throw error;
      }
    }
    return {
      rows: result.rows,
      numAffectedRows: result.affectedRows === undefined ? undefined : BigInt(result.affectedRows),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new TypeError('streaming queries are not supported on PGlite');
  }
}

class PGliteDriver implements Driver {
  readonly #connection: PGliteConnection;
  #release: (() => void) | undefined;

  constructor(
    private readonly pglite: PGlite,
    private readonly mutex: Mutex,
  ) {
    this.#connection = new PGliteConnection(pglite);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.mutex.lock();
    this.#release = release;
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  async destroy(): Promise<void> {
    // The owner of the PGlite instance closes it (see database.ts), after the last query.
  }
}

export class PGliteDialect implements Dialect {
  constructor(
    private readonly pglite: PGlite,
    private readonly mutex: Mutex,
  ) {}

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.pglite, this.mutex);
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}
