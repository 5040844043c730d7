#!/usr/bin/env node
// `npm run bench -- <name> [args...]` runs bench/<name>.ts with tsx, passing the arguments on.
// Without a name it lists the benchmarks. Each benchmark prints one JSON object per line.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = path.join(root, 'bench');
const available = readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -'.ts'.length))
  .sort();

const [name, ...rest] = process.argv.slice(2);
if (name === undefined || name === '--help' || name === '-h') {
  console.log(`usage: npm run bench -- <name> [args...]\n\navailable benchmarks:\n${available.map((b) => `  ${b}`).join('\n')}`);
  process.exit(0);
}
const file = path.join(benchDir, `${name}.ts`);
if (!/^[A-Za-z0-9._-]+$/.test(name) || !existsSync(file)) {
  console.error(`bench: no benchmark named "${name}"; available: ${available.join(', ')}`);
  process.exit(2);
}

const child = spawn('npx', ['--no-install', 'tsx', file, ...rest], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('error', (error) => {
  console.error(`bench: cannot start tsx: ${error.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal !== null) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
