/**
 * The tree's structure as rules, read from the import statements of the published sources: no folder imports a
 * folder that imports it back, the core and the pipeline import nothing from Nest, the Seneca plugin nothing of
 * the Nest transporter, and the native transport nothing of Seneca.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

interface SourceFile {
  /** Relative to the repository root, e.g. libs/kinesis/src/consumer/consumer.ts */
  path: string;
  /** Module specifiers: relative ones resolved to repository paths, packages as written. */
  imports: string[];
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')
      ? [path]
      : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

function read(path: string): SourceFile {
  const text = readFileSync(join(root, path), 'utf8');
  const imports = [...text.matchAll(IMPORT)].map((m) => {
    const spec = m[1] ?? m[2]!;
    return spec.startsWith('.') ? relative(root, resolve(root, dirname(path), spec)) : spec;
  });
  return { path, imports };
}

const libs = readdirSync(join(root, 'libs')).filter((name) => name !== 'local-aws');
const files = [...libs.flatMap((lib) => sourcesUnder(`libs/${lib}/src`)), ...sourcesUnder('src')].map(read);
const under = (prefix: string) => files.filter((f) => f.path.startsWith(prefix));
const isNest = (spec: string) => spec.startsWith('@nestjs/');

/**
 * Folder -> folders it imports from (relative imports only, between distinct folders). An entry (index.ts) only
 * gathers exports for users: it is what depends on everything, so its edges are left out.
 */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of files.filter((f) => !f.path.endsWith('/index.ts'))) {
    const from = dirname(file.path);
    for (const spec of file.imports) {
      if (!spec.startsWith('libs/') && !spec.startsWith('src/')) continue;
      const to = dirname(spec);
      if (to === from) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)!.add(to);
    }
  }
  return graph;
}

/** File -> files it imports (relative imports, as repository paths without the .js/.ts suffix). */
function fileGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  const strip = (path: string) => path.replace(/\.(js|ts)$/, '');
  for (const file of files.filter((f) => !f.path.endsWith('/index.ts'))) {
    const targets = file.imports.filter((s) => s.startsWith('libs/') || s.startsWith('src/')).map(strip);
    graph.set(strip(file.path), new Set(targets));
  }
  return graph;
}

/** Every cycle's folders, as found by a depth-first search (empty when the graph is acyclic). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

const offenders = (selected: SourceFile[], bad: (spec: string) => boolean) =>
  selected.flatMap((f) => f.imports.filter(bad).map((spec) => `${f.path} -> ${spec}`));

describe('the structure of the published sources', () => {
  it('reads the sources (a rule over no files would pass for nothing)', () => {
    expect(under('libs/kinesis/src/').length).toBeGreaterThan(20);
    expect(under('libs/transport/src/').length).toBeGreaterThan(10);
    expect(under('libs/seneca/src/').length).toBeGreaterThan(5);
    expect(under('libs/connector/src/').length).toBeGreaterThan(10);
  });

  it('has no folder cycles', () => {
    expect(cycles(folderGraph()).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('has no file cycles', () => {
    expect(cycles(fileGraph()).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself)', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('the core imports nothing from Nest nor from the other libraries', () => {
    expect(
      offenders(
        under('libs/kinesis/src/'),
        (s) => isNest(s) || (s.startsWith('libs/') && !s.startsWith('libs/kinesis/')),
      ),
    ).toEqual([]);
  });

  it('the Seneca plugin imports nothing from Nest nor from the Nest transporter', () => {
    expect(offenders(under('libs/seneca/src/'), (s) => isNest(s) || s.startsWith('libs/transport/'))).toEqual(
      [],
    );
  });

  it('the Seneca wire module imports only the core', () => {
    expect(
      offenders(
        under('libs/seneca/src/wire/'),
        (s) =>
          !s.startsWith('libs/kinesis/') && !s.startsWith('libs/seneca/src/wire/') && !s.startsWith('node:'),
      ),
    ).toEqual([]);
  });

  it('the connector pipeline imports nothing from Nest (its Nest module lives in nest/)', () => {
    const pipeline = under('libs/connector/src/').filter(
      (f) => !f.path.startsWith('libs/connector/src/nest/'),
    );
    expect(offenders(pipeline, (s) => isNest(s) || s.startsWith('libs/transport/'))).toEqual([]);
  });

  it('nothing but its bin imports the command line (libs/cli)', () => {
    const others = files.filter((f) => !f.path.startsWith('libs/cli/') && f.path !== 'src/cli/main.ts');
    expect(offenders(others, (s) => s.startsWith('libs/cli/'))).toEqual([]);
  });

  it('native transport code imports nothing of Seneca', () => {
    const native = under('libs/transport/src/').filter(
      (f) => !f.path.startsWith('libs/transport/src/seneca/') && !/(protocols|index)\.ts$/.test(f.path),
    );
    const seneca = (s: string) =>
      s.startsWith('libs/transport/src/seneca/') || s.startsWith('libs/seneca/') || s === 'seneca';
    expect(offenders(native, seneca)).toEqual([]);
  });
});
