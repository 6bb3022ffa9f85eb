// @ts-check
// Module boundaries, enforced by lint: which package may import which, and only through its entry point.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** @typedef {{ kind: 'service' | 'lib' | 'tool', name: string, root: string, testOnly: boolean }} Element */

/** Libraries that exist for tests, benchmarks and the local stack only. */
const TEST_ONLY_LIBS = new Set(['testing', 'local-infra']);

/** @param {string} repoRoot */
function workspacePackages(repoRoot) {
  /** @type {Map<string, Element>} */
  const byName = new Map();
  for (const [folder, kind] of /** @type {const} */ ([
    ['libs', 'lib'],
    ['services', 'service'],
    ['tools', 'tool'],
  ])) {
    const base = join(repoRoot, folder);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) {
      const manifest = join(base, name, 'package.json');
      if (!existsSync(manifest)) continue;
      const pkg = /** @type {{ name: string }} */ (JSON.parse(readFileSync(manifest, 'utf8')));
      byName.set(pkg.name, {
        kind,
        name,
        root: join(base, name),
        testOnly: kind === 'lib' && TEST_ONLY_LIBS.has(name),
      });
    }
  }
  return byName;
}

/** Whether a package declares `subpath` (e.g. `./testing`) in its `exports`. @param {Element} element @param {string} subpath */
function exportsSubpath(element, subpath) {
  const pkg = /** @type {{ exports?: Record<string, string> }} */ (
    JSON.parse(readFileSync(join(element.root, 'package.json'), 'utf8'))
  );
  return typeof pkg.exports === 'object' && Object.hasOwn(pkg.exports, subpath);
}

/**
 * The element a file belongs to, and whether the file is test-side code (tests, benchmarks, the
 * local stack, the test-only libraries).
 * @param {string} repoRoot
 * @param {string} file
 * @returns {{ element: Element | undefined, testSide: boolean }}
 */
function locate(repoRoot, file) {
  const parts = relative(repoRoot, file).split(sep);
  const [top, name, sub] = parts;
  const isToolPackage = top === 'tools' && name && existsSync(join(repoRoot, top, name, 'package.json'));
  if ((top === 'libs' || top === 'services' || isToolPackage) && name) {
    /** @type {Element['kind']} */
    const kind = top === 'libs' ? 'lib' : top === 'services' ? 'service' : 'tool';
    const testOnly = kind === 'lib' && TEST_ONLY_LIBS.has(name);
    return {
      element: { kind, name, root: join(repoRoot, top, name), testOnly },
      testSide: testOnly || sub === 'test',
    };
  }
  return { element: undefined, testSide: top === 'bench' || top === 'deploy' || top === 'tools' };
}

/** @type {import('eslint').Rule.RuleModule} */
export const boundaries = {
  meta: {
    type: 'problem',
    docs: {
      description: 'Services import no other service; libraries import no service; test-only libraries stay in tests',
    },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    let repoRoot = dirname(file);
    while (!existsSync(join(repoRoot, 'nx.json')) && dirname(repoRoot) !== repoRoot) repoRoot = dirname(repoRoot);
    const packages = workspacePackages(repoRoot);
    const here = locate(repoRoot, file);

    /** @param {import('estree').Node} node @param {unknown} source */
    const check = (node, source) => {
      if (typeof source !== 'string') return;
      /** @type {Element | undefined} */
      let target;
      if (source.startsWith('.')) {
        const there = locate(repoRoot, resolve(dirname(file), source)).element;
        if (there && here.element && there.root !== here.element.root) {
          const pkg = [...packages.entries()].find(([, e]) => e.root === there.root)?.[0] ?? there.name;
          context.report({
            node,
            message: `'${source}' reaches into ${there.kind} ${there.name}: import '${pkg}' instead`,
          });
          return;
        }
        if (!there || !here.element) return;
        target = there;
      } else {
        const match = /^(@reelforge\/[^/]+)(\/.*)?$/.exec(source);
        if (!match) return;
        const [, pkg, deep] = match;
        target = packages.get(/** @type {string} */ (pkg));
        if (!target) return;
        if (deep && !exportsSubpath(target, `.${deep}`)) {
          context.report({ node, message: `'${source}' reaches past ${pkg}'s entry point: import '${pkg}'` });
          return;
        }
      }
      if (!target || (here.element && target.root === here.element.root)) return;
      const who = here.element ? `${here.element.kind} ${here.element.name}` : 'this file';
      // End-to-end tests may start other services through their entry points; service code never.
      if (target.kind === 'service' && here.element?.kind === 'service' && !here.testSide)
        context.report({
          node,
          message: `${who} imports service ${target.name}: services talk over NATS, not imports`,
        });
      else if (target.kind === 'service' && here.element?.kind === 'lib')
        context.report({ node, message: `${who} imports service ${target.name}: libraries import no service` });
      else if (target.kind === 'service' && here.element?.kind === 'tool' && !here.testSide)
        context.report({ node, message: `${who} imports service ${target.name}: tools speak to the services' APIs` });
      else if (target.testOnly && !here.testSide)
        context.report({
          node,
          message: `${who} imports ${target.name}, which is for tests, benchmarks and the local stack only`,
        });
    };

    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export default { rules: { boundaries } };
