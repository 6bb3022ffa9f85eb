// RFC 6902 JSON Patch, as kustomize applies a `patches:` entry whose content is a list of operations.
import { KustomizeError } from './errors.ts';
import { clone, deepEqual, isObject, type Json, type JsonObject } from './json.ts';

const OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const;
type Op = (typeof OPS)[number];

interface Operation {
  op: Op;
  path: string;
  value?: Json;
  from?: string;
}

/** Validates one parsed operation (unknown ops and fields are errors, as in RFC 6902). */
export function parseOperation(raw: Json, where: string): Operation {
  if (!isObject(raw)) throw new KustomizeError(`${where}: an operation must be a mapping`);
  const { op, path, value, from, ...rest } = raw;
  if (Object.keys(rest).length) throw new KustomizeError(`${where}: unknown field(s) ${Object.keys(rest).join(', ')}`);
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op))
    throw new KustomizeError(`${where}: op must be one of ${OPS.join(', ')}`);
  if (typeof path !== 'string') throw new KustomizeError(`${where}: path must be a string`);
  if ((op === 'add' || op === 'replace' || op === 'test') && value === undefined)
    throw new KustomizeError(`${where}: ${op} needs a value`);
  if ((op === 'move' || op === 'copy') && typeof from !== 'string')
    throw new KustomizeError(`${where}: ${op} needs from`);
  return {
    op: op as Op,
    path,
    ...(value !== undefined ? { value } : {}),
    ...(typeof from === 'string' ? { from } : {}),
  };
}

function tokens(pointer: string, where: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new KustomizeError(`${where}: "${pointer}" is not a JSON pointer`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function indexIn(list: Json[], token: string, forAdd: boolean, where: string): number {
  if (forAdd && token === '-') return list.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new KustomizeError(`${where}: "${token}" is not an array index`);
  const index = Number(token);
  if (index > list.length || (!forAdd && index === list.length))
    throw new KustomizeError(`${where}: index ${index} is out of range`);
  return index;
}

/** The container holding the pointer's last token, and that token. */
function parentOf(doc: Json, path: string[], where: string): { parent: Json; last: string } {
  let node = doc;
  for (const token of path.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node)
      ? node[indexIn(node, token, false, where)]
      : isObject(node)
        ? node[token]
        : undefined;
    if (next === undefined) throw new KustomizeError(`${where}: path /${path.join('/')} does not exist`);
    node = next;
  }
  return { parent: node, last: path.at(-1)! };
}

function get(doc: Json, pointer: string, where: string): Json {
  const path = tokens(pointer, where);
  if (!path.length) return doc;
  const { parent, last } = parentOf(doc, path, where);
  const value = Array.isArray(parent)
    ? parent[indexIn(parent, last, false, where)]
    : isObject(parent)
      ? parent[last]
      : undefined;
  if (value === undefined) throw new KustomizeError(`${where}: path ${pointer} does not exist`);
  return value;
}

function add(doc: Json, pointer: string, value: Json, where: string): Json {
  const path = tokens(pointer, where);
  if (!path.length) return value;
  const { parent, last } = parentOf(doc, path, where);
  if (Array.isArray(parent)) parent.splice(indexIn(parent, last, true, where), 0, value);
  else if (isObject(parent)) parent[last] = value;
  else throw new KustomizeError(`${where}: cannot add under a scalar at ${pointer}`);
  return doc;
}

function remove(doc: Json, pointer: string, where: string): Json {
  const path = tokens(pointer, where);
  if (!path.length) throw new KustomizeError(`${where}: cannot remove the whole document`);
  get(doc, pointer, where); // must exist
  const { parent, last } = parentOf(doc, path, where);
  if (Array.isArray(parent)) parent.splice(indexIn(parent, last, false, where), 1);
  else delete (parent as JsonObject)[last];
  return doc;
}

/** Applies `operations` to a copy of `doc`; any failing operation fails the whole patch. */
export function applyJsonPatch(doc: JsonObject, operations: Operation[], where: string): JsonObject {
  let out: Json = clone(doc);
  for (const [i, operation] of operations.entries()) {
    const at = `${where}: operation ${i} (${operation.op} ${operation.path})`;
    switch (operation.op) {
      case 'add':
        out = add(out, operation.path, clone(operation.value!), at);
        break;
      case 'remove':
        out = remove(out, operation.path, at);
        break;
      case 'replace':
        get(out, operation.path, at);
        out = add(remove(out, operation.path, at), operation.path, clone(operation.value!), at);
        break;
      case 'move': {
        const value = get(out, operation.from!, at);
        out = add(remove(out, operation.from!, at), operation.path, value, at);
        break;
      }
      case 'copy':
        out = add(out, operation.path, clone(get(out, operation.from!, at)), at);
        break;
      case 'test':
        if (!deepEqual(get(out, operation.path, at), operation.value)) throw new KustomizeError(`${at}: test failed`);
        break;
    }
  }
  if (!isObject(out)) throw new KustomizeError(`${where}: the patched document is not a mapping`);
  return out;
}
