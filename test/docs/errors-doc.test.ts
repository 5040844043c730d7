/**
 * docs/errors.md and the code must agree on every error code: same codes, same statuses, same
 * titles, each listed under its own domain. And the catalog that the comparison relies on,
 * src/server/error-catalog.ts, must import every module that declares codes: a new domain's
 * `defineErrors(` that nobody imports there would otherwise be missing from both sides unnoticed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allErrorCodes } from '../../src/server/error-catalog.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = path.join(ROOT, 'src');
const CATALOG = path.join(SRC, 'server', 'error-catalog.ts');
const doc = readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');

interface DocumentedCode {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  /** The domain named by the `### \`domain\`` heading the row sits under. */
  readonly section: string | undefined;
}

/** Table rows of the form | `domain.reason` | status | title |, with the heading above them. */
function documentedCodes(markdown: string): DocumentedCode[] {
  const out: DocumentedCode[] = [];
  let section: string | undefined;
  for (const line of markdown.split('\n')) {
    const heading = /^#{2,4}\s+`([a-z][a-z0-9_]*)`/.exec(line);
    if (heading !== null) {
      section = heading[1];
      continue;
    }
    if (/^#{1,4}\s/.test(line)) section = undefined;
    const row = /^\|\s*`([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)`\s*\|\s*(\d{3})\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (row !== null) out.push({ code: row[1] ?? '', status: Number(row[2]), title: row[3] ?? '', section });
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) files.push(full);
  }
  return files;
}

/** Files that the catalog imports, resolved from its `.js` specifiers to the `.ts` sources. */
function catalogImports(): Set<string> {
  const text = readFileSync(CATALOG, 'utf8');
  const specifiers = [...text.matchAll(/^\s*import\s+(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1] ?? '');
  return new Set(specifiers.map((s) => path.resolve(path.dirname(CATALOG), s.replace(/\.js$/, '.ts'))));
}

const documented = documentedCodes(doc);
const codes = allErrorCodes();

describe('docs/errors.md', () => {
  it('the catalog is not empty and the document has a table row per code', () => {
    expect(codes.length).toBeGreaterThan(0);
    expect(documented.length).toBeGreaterThan(0);
  });

  it('lists every code declared in the code', () => {
    const listed = new Set(documented.map((d) => d.code));
    expect(codes.filter((c) => !listed.has(c.code)).map((c) => c.code), 'codes missing from docs/errors.md').toEqual([]);
  });

  it('lists no code that does not exist, and none twice', () => {
    const declared = new Set(codes.map((c) => c.code));
    expect(documented.filter((d) => !declared.has(d.code)).map((d) => d.code), 'codes in docs/errors.md that are not declared').toEqual([]);
    const seen = new Set<string>();
    const twice = documented.filter((d) => seen.size === seen.add(d.code).size).map((d) => d.code);
    expect(twice, 'codes listed twice').toEqual([]);
  });

  it('gives each code the status and title the code declares', () => {
    const byCode = new Map(documented.map((d) => [d.code, d]));
    const different = codes
      .filter((c) => byCode.has(c.code))
      .filter((c) => byCode.get(c.code)?.status !== c.status || byCode.get(c.code)?.title !== c.title)
      .map((c) => `${c.code}: code says ${c.status} "${c.title}", doc says ${byCode.get(c.code)?.status} "${byCode.get(c.code)?.title}"`);
    expect(different).toEqual([]);
  });

  it('groups codes under the heading of their domain', () => {
    const misplaced = documented.filter((d) => d.section !== d.code.split('.')[0]).map((d) => `${d.code} under ${d.section ?? 'no domain heading'}`);
    expect(misplaced).toEqual([]);
  });

  it('explains the problem format with the type URI the server sends', async () => {
    const { problemType } = await import('../../src/server/problem.js');
    expect(problemType('request.invalid')).toBe('tag:custodia.dev,2026:error:request.invalid');
    expect(doc).toContain('tag:custodia.dev,2026:error:<code>');
    for (const member of ['type', 'title', 'status', 'code', 'detail', 'requestId', 'errors']) expect(doc).toContain(`\`${member}\``);
  });
});

describe('src/server/error-catalog.ts', () => {
  it('imports every file under src/ that declares error codes', () => {
    const imported = catalogImports();
    const declaring = sourceFiles(SRC).filter((file) => file !== CATALOG && /\bdefineErrors\s*\(/.test(readFileSync(file, 'utf8')));
    expect(declaring.length).toBeGreaterThan(0);
    const missing = declaring.filter((file) => !imported.has(file)).map((file) => path.relative(ROOT, file));
    expect(missing, 'files calling defineErrors( that src/server/error-catalog.ts does not import').toEqual([]);
  });
});
