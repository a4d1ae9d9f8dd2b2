import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');

/** Every `path` in backticks that points into the tree (src/, test/, bench/, proto/, docs/). */
function namedPaths(text: string): string[] {
  const paths = new Set<string>();
  for (const m of text.matchAll(/`((?:src|test|bench|proto|docs|deploy)\/[^`\s]*)`/g)) {
    const p = m[1]!.replace(/[.,;:]+$/, '');
    // Placeholders like src/receivers/<type>/ name a pattern, not a file.
    if (!p.includes('<')) paths.add(p);
  }
  return [...paths];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') || p.endsWith('.mjs') ? [p] : [];
  });
}

describe('docs/architecture.md, the design of record', () => {
  it('names files in kebab-case (folders of component types keep the type name)', () => {
    const camel = sourceFiles(join(root, 'src')).map((f) => f.slice(root.length + 1)).filter((f) => /[A-Z]/.test(f.split('/').pop()!));
    expect(camel).toEqual([]);
  });

  it('names only files and folders that exist', () => {
    const named = namedPaths(doc);
    expect(named.length).toBeGreaterThan(30);
    const missing = named.filter((p) => !existsSync(join(root, p)));
    expect(missing).toEqual([]);
  });

  it('is what code comments cite: none points at a design document outside the repository', () => {
    const citing = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'test')), ...sourceFiles(join(root, 'bench'))]
      .filter((f) => !f.endsWith('architecture-doc.test.ts'))
      .filter((f) => /\bDESIGN(\.md)?\b/.test(readFileSync(f, 'utf8')))
      .map((f) => f.slice(root.length + 1));
    expect(citing).toEqual([]);
  });
});
