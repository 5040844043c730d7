/**
 * The complete catalog of error codes. Codes are declared per domain with `defineErrors()`, which
 * registers them when the declaring module is first imported; so the registry is complete only
 * once every declaring module has been loaded. This file imports each of them, and
 * `docs/errors.md` is checked against {@link allErrorCodes} by `test/docs/errors-doc.test.ts`,
 * which also fails when a file under `src/` calls `defineErrors(` and is missing here.
 *
 * Kept apart from the app: the server loads the declaring modules through its routes anyway; this
 * file exists so that documentation and tooling see every code, including those only the CLI uses.
 */
import '../access/errors.js';
import '../agents/errors.js';
import '../channels/errors.js';
import '../channels/email/errors.js';
import '../channels/voice/errors.js';
import '../config/load.js';
import '../customers/errors.js';
import '../db/errors.js';
import '../interactions/errors.js';
import '../ledger/errors.js';
import '../redaction/errors.js';
import '../redaction/routes-errors.js';
import '../demo/errors.js';
import '../tenants/errors.js';
import '../vault/errors.js';
import '../verification/errors.js';
import { type ErrorCode, registeredErrorCodes } from '../platform/errors.js';

/** Every declared error code with its HTTP status and title, sorted by code. */
export function allErrorCodes(): ErrorCode[] {
  return registeredErrorCodes();
}
