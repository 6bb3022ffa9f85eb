// The kustomize renderer (deploy/test/kustomize) that manifests.test.ts renders k8s/ with: what it
// supports behaves as kustomize does (fixed expectations recorded from kustomize v5.5.0), what it
// does not support is refused by name, and where a kubectl with kustomize v5 is installed both
// overlays render exactly as `kubectl kustomize` renders them.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { KustomizeError, UnsupportedKustomizeFeature } from './kustomize/errors.ts';
import { isObject, type Json, type JsonObject } from './kustomize/json.ts';
import { renderKustomization } from './kustomize/render.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'reelforge-kustomize-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let cases = 0;
/** Writes `files` (path → content) into a fresh directory and renders `entry` in it. */
function renderFiles(files: Record<string, string>, entry = '.'): JsonObject[] {
  const dir = join(work, `case-${cases++}`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return renderKustomization(join(dir, entry));
}

const deployment = (name: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 1
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers:
        - name: main
          image: reelforge/${name}
          env:
            - { name: A, value: "1" }
            - name: SECRET
              valueFrom: { secretKeyRef: { name: creds, key: SECRET } }
          envFrom:
            - configMapRef: { name: settings }
        - name: sidecar
          image: busybox:1.36
          args: ["sleep", "1"]
${extra}`;

const byKind = (docs: JsonObject[], kind: string) => docs.filter((d) => d.kind === kind);
const get = (value: Json | undefined, ...path: (string | number)[]): Json | undefined => {
  let node = value;
  for (const key of path)
    node =
      Array.isArray(node) && typeof key === 'number'
        ? node[key]
        : isObject(node) && typeof key === 'string'
          ? node[key]
          : undefined;
  return node;
};

describe('kustomize renderer: what it supports', () => {
  it("names generated ConfigMaps and Secrets with kustomize's hash and base64 (recorded from kustomize v5.5.0)", () => {
    const docs = renderFiles({
      'kustomization.yaml': `configMapGenerator:
  - name: a
    literals: [x=y]
secretGenerator:
  - name: s
    literals:
      - a=${'x'.repeat(51)}
      - b=${'x'.repeat(52)}
      - c=${'y'.repeat(120)}
`,
    });
    expect(get(byKind(docs, 'ConfigMap')[0], 'metadata', 'name')).toBe('a-6gc9d749f7');
    const secret = byKind(docs, 'Secret')[0]!;
    expect(get(secret, 'metadata', 'name')).toBe('s-d6fmf6bt2c');
    expect(secret.type).toBe('Opaque');
    // Base64 past 69 characters is cut into lines of 70, each ending in a newline.
    expect(get(secret, 'data', 'a')).toBe('eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4');
    expect(get(secret, 'data', 'b')).toBe(
      'eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eA\n==\n',
    );
  });

  it('builds a base, then the overlay: merged generator, patches, namespace, labels, replicas, images, renamed references', () => {
    const docs = renderFiles(
      {
        'base/kustomization.yaml': `labels:
  - pairs: { team: media }
    includeTemplates: true
resources: [api.yaml]
configMapGenerator:
  - name: settings
    literals: [LOG_LEVEL=info, "QUOTED='kept as is'"]
`,
        'base/api.yaml': deployment('api'),
        'overlay/kustomization.yaml': `namespace: staging
resources: [../base]
configMapGenerator:
  - name: settings
    behavior: merge
    literals: [LOG_LEVEL=debug]
secretGenerator:
  - name: creds
    literals: [SECRET=s3cret]
replicas:
  - { name: api, count: 3 }
images:
  - { name: reelforge/api, newTag: "1.2.3" }
  - { name: busybox, newName: registry.local/busybox }
patches:
  - path: api-patch.yaml
  - target: { kind: Deployment, name: ap. }
    patch: |-
      - op: add
        path: /spec/template/spec/containers/0/env/-
        value: { name: B, value: "2" }
      - op: replace
        path: /spec/template/spec/containers/1/args
        value: ["sleep", "2"]
`,
        'overlay/api-patch.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: main
          env:
            - { name: A, value: "one" }
          resources: { limits: { memory: 1Gi } }
`,
      },
      'overlay',
    );
    const api = byKind(docs, 'Deployment')[0]!;
    const settings = byKind(docs, 'ConfigMap')[0]!;
    const creds = byKind(docs, 'Secret')[0]!;
    expect(get(settings, 'data')).toEqual({ LOG_LEVEL: 'debug', QUOTED: 'kept as is' });
    expect(get(settings, 'metadata')).toEqual({
      name: expect.stringMatching(/^settings-[a-z0-9]{10}$/),
      namespace: 'staging',
      labels: { team: 'media' },
    });
    expect(get(creds, 'metadata')).toEqual({
      name: expect.stringMatching(/^creds-[a-z0-9]{10}$/),
      namespace: 'staging',
    });
    expect(get(api, 'metadata', 'namespace')).toBe('staging');
    expect(get(api, 'metadata', 'labels')).toEqual({ team: 'media' });
    expect(get(api, 'spec', 'template', 'metadata', 'labels')).toEqual({ app: 'api', team: 'media' });
    expect(get(api, 'spec', 'selector')).toEqual({ matchLabels: { app: 'api' } }); // includeSelectors is false
    expect(get(api, 'spec', 'replicas')).toBe(3);
    const [main, sidecar] = get(api, 'spec', 'template', 'spec', 'containers') as JsonObject[];
    expect(main?.image).toBe('reelforge/api:1.2.3');
    expect(sidecar?.image).toBe('registry.local/busybox:1.36');
    // Strategic merge by name (env A changed in place), JSON 6902 after it (B appended), args replaced.
    expect((main?.env as JsonObject[]).map((e) => [e.name, e.value ?? null])).toEqual([
      ['A', 'one'],
      ['SECRET', null],
      ['B', '2'],
    ]);
    expect(get(main, 'resources')).toEqual({ limits: { memory: '1Gi' } });
    expect(sidecar?.args).toEqual(['sleep', '2']);
    // References follow the hash-suffixed names.
    expect(get(main, 'envFrom', 0, 'configMapRef', 'name')).toBe(get(settings, 'metadata', 'name'));
    expect(get(main, 'env', 1, 'valueFrom', 'secretKeyRef', 'name')).toBe(get(creds, 'metadata', 'name'));
  });

  it('deletes with null, replaces lists that have no merge key, and orders merged lists as kustomize does', () => {
    const docs = renderFiles({
      'kustomization.yaml': 'resources: [api.yaml]\npatchesStrategicMerge: [patch.yaml]\n',
      'api.yaml': deployment('api'),
      'patch.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  selector: null
  template:
    spec:
      containers:
        - name: sidecar
          args: ["only"]
`,
    });
    const api = docs[0]!;
    expect(get(api, 'spec', 'selector')).toBeUndefined();
    // The patch's elements first, then the base's others (what kustomize v5.5.0 renders).
    expect((get(api, 'spec', 'template', 'spec', 'containers') as JsonObject[]).map((c) => c.name)).toEqual([
      'sidecar',
      'main',
    ]);
    expect(get(api, 'spec', 'template', 'spec', 'containers', 0, 'args')).toEqual(['only']);
    expect(get(api, 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe('busybox:1.36');
  });
});

describe('kustomize renderer: what it refuses, by name', () => {
  const refused = (files: Record<string, string>) => {
    try {
      renderFiles(files);
    } catch (err) {
      return err;
    }
    throw new Error('rendered what it should have refused');
  };

  it.each([
    ['an unknown kustomization field', { 'kustomization.yaml': 'namePrefix: x-\n' }, 'field "namePrefix"'],
    ['commonLabels', { 'kustomization.yaml': 'commonLabels: { a: b }\n' }, 'field "commonLabels"'],
    ['a remote resource', { 'kustomization.yaml': 'resources: [https://github.com/x/y//k8s]\n' }, 'remote resource'],
    [
      'a kind it cannot place in a namespace',
      {
        'kustomization.yaml': 'namespace: n\nresources: [r.yaml]\n',
        'r.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }\n',
      },
      'kind Widget',
    ],
    [
      'generator files',
      { 'kustomization.yaml': 'configMapGenerator:\n  - name: c\n    files: [a.txt]\n' },
      'field "files"',
    ],
    [
      'labels with selectors',
      { 'kustomization.yaml': 'labels:\n  - pairs: { a: b }\n    includeSelectors: true\n' },
      'includeSelectors',
    ],
    [
      'a strategic-merge directive',
      {
        'kustomization.yaml': 'resources: [api.yaml]\npatches: [{ path: p.yaml }]\n',
        'api.yaml': deployment('api'),
        'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: api }\nspec:\n  $patch: replace\n',
      },
      '$patch',
    ],
    [
      'a patch option',
      {
        'kustomization.yaml':
          'resources: [api.yaml]\npatches: [{ path: p.yaml, options: { allowNameChange: true } }]\n',
        'api.yaml': deployment('api'),
        'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: api }\n',
      },
      'field "options"',
    ],
  ])('refuses %s', (_what, files, naming) => {
    const err = refused(files);
    expect(err).toBeInstanceOf(UnsupportedKustomizeFeature);
    expect(String((err as Error).message)).toContain(naming);
  });

  it.each([
    [
      'a patch that matches nothing',
      {
        'kustomization.yaml':
          'resources: [api.yaml]\npatches:\n  - target: { kind: Deployment, name: nope }\n    patch: "[{op: remove, path: /spec}]"\n',
        'api.yaml': deployment('api'),
      },
      'matches no resource',
    ],
    [
      'a failing JSON 6902 test',
      {
        'kustomization.yaml':
          'resources: [api.yaml]\npatches:\n  - target: { kind: Deployment }\n    patch: "[{op: test, path: /spec/replicas, value: 5}]"\n',
        'api.yaml': deployment('api'),
      },
      'test failed',
    ],
    [
      'a merge into nothing',
      { 'kustomization.yaml': 'configMapGenerator:\n  - name: c\n    behavior: merge\n    literals: [a=b]\n' },
      'needs an existing ConfigMap c',
    ],
    ['replicas for no workload', { 'kustomization.yaml': 'replicas: [{ name: ghost, count: 2 }]\n' }, 'no Deployment'],
    ['a missing resource file', { 'kustomization.yaml': 'resources: [missing.yaml]\n' }, 'does not exist'],
  ])('fails on %s', (_what, files, naming) => {
    const err = refused(files);
    expect(err).toBeInstanceOf(KustomizeError);
    expect(String((err as Error).message)).toContain(naming);
  });
});

/** The major version of the kustomize inside the installed kubectl, if any. */
function kubectlKustomizeMajor(): number | undefined {
  const result = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 20_000 });
  const match = /Kustomize Version: v(\d+)/.exec(result.stdout ?? '');
  return match ? Number(match[1]) : undefined;
}
const kustomizeMajor = kubectlKustomizeMajor();

describe('kustomize renderer against kubectl', () => {
  const idOf = (d: JsonObject) =>
    `${String(d.kind)}/${String(get(d, 'metadata', 'namespace') ?? '')}/${String(get(d, 'metadata', 'name'))}`;
  const byId = (docs: JsonObject[]) => Object.fromEntries(docs.map((d) => [idOf(d), d]));

  it.skipIf(kustomizeMajor === undefined || kustomizeMajor < 5).each(['dev', 'prod'])(
    'renders k8s/overlays/%s exactly as `kubectl kustomize` (skipped where no kubectl with kustomize v5 is installed; the tests above run everywhere)',
    (overlay) => {
      const dir = join(root, 'k8s', 'overlays', overlay);
      const theirs = parseAllDocuments(
        execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 }),
      ).map((d) => d.toJS() as JsonObject);
      expect(byId(renderKustomization(dir))).toEqual(byId(theirs));
    },
  );
});
