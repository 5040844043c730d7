/**
 * File permissions of the embedded database's data directory. PGlite's initdb writes its files
 * 0666 and 0644 whatever the umask (it copies them from memory with their modes), later files get
 * the modes PostgreSQL asks for filtered by the process umask, and a directory made by an earlier
 * version or by hand may be 0755: anyone on the host could read the database, and a backup copied
 * with its modes would stay readable. The CLI sets the umask to 077 for what the process creates
 * (src/cli/main.ts); this closes what already exists.
 */
import { chmodSync, lstatSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../platform/errors.js';
import { DbErrors } from './errors.js';

export interface SecureDataDirOptions {
  /** The uid that must own the directory; defaults to this process's (tests pass another). */
  readonly uid?: number | undefined;
}

/**
 * Makes `dir` private to its owner: the directory and every directory under it 0700, and no
 * file under it readable or writable by group or others. Refuses with `db.data_dir_not_owned`
 * when `dir` belongs to another user: its modes are not ours to change, and that user can read
 * the data. Runs before the database opens, and again after a first start (initdb).
 *
 * @example
 * ```ts
 * mkdirSync(dir, { recursive: true, mode: 0o700 });
 * secureDataDir(dir);
 * ```
 */
export function secureDataDir(dir: string, options: SecureDataDirOptions = {}): void {
  const uid = options.uid ?? process.getuid?.();
  const stat = statSync(dir);
  // No uids (Windows): the directory's ACL is the operator's business.
  if (uid === undefined) return;
  if (stat.uid !== uid) {
    throw new AppError(DbErrors.data_dir_not_owned, {
      detail: `The data directory ${dir} belongs to another user (uid ${stat.uid}); this process runs as uid ${uid}. Run Custodia as the directory's owner, or give it a directory of its own.`,
    });
  }
  if ((stat.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
  restrictTree(dir);
}

/** Takes group and other permissions off everything under `dir` (symbolic links are left alone). */
function restrictTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    try {
      const mode = lstatSync(full).mode & 0o777;
      if (entry.isDirectory()) {
        if (mode !== 0o700) chmodSync(full, 0o700);
        restrictTree(full);
      } else if (!entry.isSymbolicLink() && (mode & 0o077) !== 0) {
        chmodSync(full, mode & 0o700);
      }
    } catch (error) {
      // The database may remove a temporary file meanwhile (the second pass runs with it open).
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}
