// Kubernetes strategic merge patch, for the fields of the built-in workload kinds: mappings merge
// key by key, `null` deletes, and a list merges by its Kubernetes merge key when it has one (below),
// else is replaced whole (the API's default for lists without a patch strategy). Directives
// (`$patch`, `$retainKeys`, `$setElementOrder/…`, `$deleteFromPrimitiveList/…`) are refused.
import { UnsupportedKustomizeFeature } from './errors.ts';
import { clone, isObject, type Json, type JsonObject } from './json.ts';

/**
 * Lists merged element by element, by field name (and, for `ports`, by where they sit), with the
 * patchMergeKey of the Kubernetes API types.
 */
function mergeKey(field: string, path: string[]): string | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
      return 'name';
    case 'volumeMounts':
      return 'mountPath';
    case 'volumeDevices':
      return 'devicePath';
    case 'topologySpreadConstraints':
      return 'topologyKey';
    case 'hostAliases':
      return 'ip';
    case 'ports':
      // A container's ports merge by containerPort; a Service's (spec.ports) by port.
      return path.length === 1 && path[0] === 'spec' ? 'port' : 'containerPort';
    default:
      return undefined;
  }
}

function refuseDirectives(patch: JsonObject, where: string): void {
  for (const key of Object.keys(patch))
    if (key.startsWith('$')) throw new UnsupportedKustomizeFeature(`${where}: strategic-merge directive ${key}`);
}

/** As kustomize orders the result: the patch's elements (merged into their base ones) in patch order, then the base's others. */
function mergeList(base: Json[], patch: Json[], key: string, where: string, path: string[]): Json[] {
  const keyOf = (item: Json) => (isObject(item) ? item[key] : undefined);
  const merged = patch.map((item) => {
    if (keyOf(item) === undefined)
      throw new UnsupportedKustomizeFeature(`${where}: an element of ${path.join('.')} without its merge key ${key}`);
    return mergeValue(
      base.find((existing) => keyOf(existing) === keyOf(item)),
      item,
      where,
      path,
    );
  });
  const patched = new Set(patch.map(keyOf));
  return [...merged, ...base.filter((item) => !patched.has(keyOf(item))).map((item) => clone(item))];
}

function mergeValue(base: Json | undefined, patch: Json, where: string, path: string[]): Json {
  if (isObject(patch)) {
    refuseDirectives(patch, `${where}: ${path.join('.') || '(top)'}`);
    const out: JsonObject = isObject(base) ? clone(base) : {};
    for (const [field, value] of Object.entries(patch)) {
      if (value === null) {
        delete out[field];
        continue;
      }
      const childPath = [...path, field];
      const current = out[field];
      const key = mergeKey(field, path);
      out[field] =
        key && Array.isArray(value) && Array.isArray(current)
          ? mergeList(current, value, key, where, childPath)
          : mergeValue(current, value, where, childPath);
    }
    return out;
  }
  return clone(patch);
}

/** `base` with the strategic-merge `patch` applied (neither is modified). */
export function strategicMerge(base: JsonObject, patch: JsonObject, where: string): JsonObject {
  return mergeValue(base, patch, where, []) as JsonObject;
}
