// tsc does not copy non-TypeScript files; the server reads its SQL migrations at run time.
import { cpSync, rmSync } from 'node:fs';
rmSync('dist/db/migrations', { recursive: true, force: true });
cpSync('src/db/migrations', 'dist/db/migrations', { recursive: true });
