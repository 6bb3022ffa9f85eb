// configMapGenerator / secretGenerator (literals only) and the content-hash suffix kustomize gives
// generated names, so a changed value rolls the pods that use it.
import { createHash } from 'node:crypto';
import { KustomizeError, UnsupportedKustomizeFeature } from './errors.ts';
import { goJson, isObject, type Json, type JsonObject } from './json.ts';

export type GeneratorKind = 'ConfigMap' | 'Secret';
export type Behavior = 'create' | 'merge' | 'replace';

export interface GeneratorSpec {
  kind: GeneratorKind;
  name: string;
  behavior: Behavior;
  data: Record<string, string>;
  /** Secrets only. */
  type: string | undefined;
  hashSuffix: boolean;
}

const FIELDS = new Set(['name', 'behavior', 'literals', 'type', 'options']);

/** `KEY=value`, as kustomize reads a literal: split at the first `=`, one pair of matching quotes removed. */
export function parseLiteral(literal: string, where: string): [string, string] {
  const at = literal.indexOf('=');
  if (at <= 0) throw new KustomizeError(`${where}: literal "${literal}" is not KEY=VALUE`);
  const value = literal.slice(at + 1);
  const quoted = value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0];
  return [literal.slice(0, at), quoted ? value.slice(1, -1) : value];
}

export function parseGenerator(kind: GeneratorKind, raw: Json, where: string): GeneratorSpec {
  if (!isObject(raw)) throw new KustomizeError(`${where}: must be a mapping`);
  for (const field of Object.keys(raw))
    if (!FIELDS.has(field) || (field === 'type' && kind !== 'Secret'))
      throw new UnsupportedKustomizeFeature(`${where}: field "${field}"`);
  const { name, behavior = 'create', literals = [], type, options } = raw;
  if (typeof name !== 'string' || !name) throw new KustomizeError(`${where}: needs a name`);
  if (behavior !== 'create' && behavior !== 'merge' && behavior !== 'replace')
    throw new KustomizeError(`${where}: behavior must be create, merge or replace`);
  if (!Array.isArray(literals) || !literals.every((l): l is string => typeof l === 'string'))
    throw new KustomizeError(`${where}: literals must be a list of strings`);
  if (type !== undefined && typeof type !== 'string') throw new KustomizeError(`${where}: type must be a string`);
  let hashSuffix = true;
  if (options !== undefined) {
    if (!isObject(options)) throw new KustomizeError(`${where}: options must be a mapping`);
    for (const option of Object.keys(options))
      if (option !== 'disableNameSuffixHash') throw new UnsupportedKustomizeFeature(`${where}: option "${option}"`);
    hashSuffix = options.disableNameSuffixHash !== true;
  }
  const data: Record<string, string> = {};
  for (const literal of literals) {
    const [key, value] = parseLiteral(literal, where);
    if (key in data) throw new KustomizeError(`${where}: key ${key} given twice`);
    data[key] = value;
  }
  return { kind, name, behavior, data, type, hashSuffix };
}

/**
 * Base64 as kustomize writes Secret values: past 69 characters, cut into lines of 70, each ending
 * in a newline (the API accepts it; the name hash is taken over these exact strings).
 */
export function kustomizeBase64(value: string): string {
  const encoded = Buffer.from(value, 'utf8').toString('base64');
  if (encoded.length < 70) return encoded;
  return encoded.replace(/.{1,70}/g, (line) => `${line}\n`);
}

/** The resource a generator makes (Secret values base64-encoded, as in the API). */
export function generatedResource(spec: GeneratorSpec): JsonObject {
  if (spec.kind === 'ConfigMap')
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: spec.name }, data: { ...spec.data } };
  const data: JsonObject = {};
  for (const [key, value] of Object.entries(spec.data)) data[key] = kustomizeBase64(value);
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: spec.name }, type: spec.type ?? 'Opaque', data };
}

/**
 * kustomize's name hash (api/hasher): SHA-256 over Go's JSON of kind, name, data (and type for a
 * Secret), the first 10 hex digits with 0→g 1→h 3→k a→m e→t (so it never reads as a number or a
 * word). Taken over the resource's final data, after any overlay merged into it. kustomize looks
 * the name up with a path ("metadata/name") its lookup takes as one field name, so the name it
 * hashes is always empty: two generators with the same data get the same suffix. Matched here.
 */
export function nameHash(resource: JsonObject): string {
  const kind = resource.kind;
  const encoded: JsonObject = { kind: kind ?? null, name: '', data: resource.data ?? {} };
  if (kind === 'Secret') encoded.type = resource.type ?? null;
  else if (kind !== 'ConfigMap') throw new KustomizeError(`cannot hash a ${String(kind)}`);
  for (const field of ['binaryData', 'stringData', 'immutable'])
    if (resource[field] !== undefined) throw new UnsupportedKustomizeFeature(`${String(kind)}: hashing with ${field}`);
  const hex = createHash('sha256').update(goJson(encoded)).digest('hex');
  const swap: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return [...hex.slice(0, 10)].map((c) => swap[c] ?? c).join('');
}
