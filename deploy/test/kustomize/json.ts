// The JSON values manifests are made of, and the few operations the renderer needs on them.
import { KustomizeError } from './errors.ts';

export type Json = string | number | boolean | null | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks that a parsed YAML value is plain JSON data (no dates, no binary, no undefined). */
export function asJson(value: unknown, where: string): Json {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new KustomizeError(`${where}: ${value} is not a JSON number`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => asJson(item, `${where}[${i}]`));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) out[key] = asJson(item, `${where}.${key}`);
    return out;
  }
  throw new KustomizeError(`${where}: a ${Object.prototype.toString.call(value)} is not JSON data`);
}

export const clone = <T extends Json>(value: T): T => structuredClone(value);

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** The object at `obj[key]`, created when missing; throws when something else is there. */
export function objectAt(obj: JsonObject, key: string, where: string): JsonObject {
  const existing = obj[key];
  if (existing === undefined || existing === null) return (obj[key] = {});
  if (!isObject(existing)) throw new KustomizeError(`${where}.${key} is not a mapping`);
  return existing;
}

/**
 * JSON as Go's encoding/json writes it for a map: keys sorted, and <, >, &, U+2028, U+2029
 * escaped. kustomize hashes generated ConfigMaps and Secrets over exactly these bytes.
 */
export function goJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${goJson(k)}:${goJson(value[k]!)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
