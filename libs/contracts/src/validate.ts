import type { Static, TSchema } from '@sinclair/typebox';
import { FormatRegistry } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { UUID_PATTERN } from './ids.ts';

// TypeBox rejects unknown formats; register the ones the contracts use (same meaning as ajv-formats).
const uuidRe = new RegExp(UUID_PATTERN);
const dateTimeRe = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (v) => uuidRe.test(v));
if (!FormatRegistry.Has('date-time'))
  FormatRegistry.Set('date-time', (v) => dateTimeRe.test(v) && !Number.isNaN(Date.parse(v)));

/** A compiled validator: `check` narrows, `errors` lists what is wrong (path + message). */
export interface Validator<T extends TSchema> {
  readonly schema: T;
  check(value: unknown): value is Static<T>;
  errors(value: unknown): { path: string; message: string }[];
}

const cache = new WeakMap<TSchema, TypeCheck<TSchema>>();

/** Compiles a schema once (cached per schema object) into a fast validator. */
export function validator<T extends TSchema>(schema: T): Validator<T> {
  let compiled = cache.get(schema) as TypeCheck<T> | undefined;
  if (!compiled) {
    compiled = TypeCompiler.Compile(schema);
    cache.set(schema, compiled);
  }
  const c = compiled;
  return {
    schema,
    check: (value: unknown): value is Static<T> => c.Check(value),
    errors: (value: unknown) =>
      [...c.Errors(value)].slice(0, 10).map((e) => ({ path: e.path || '/', message: e.message })),
  };
}

/**
 * The same schema with `additionalProperties: false` dropped at every level: unknown properties are
 * allowed. What a consumer validates events with, so that a newer producer's additive field does
 * not poison an older consumer's message during a rolling deploy. Request schemas stay strict.
 */
export function lenient<T extends TSchema>(schema: T): T {
  return relax(schema) as T;
}

// Copies own keys including TypeBox's symbol keys (Kind, OptionalKind), which JSON would lose.
function relax(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(relax);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<PropertyKey, unknown> = {};
  for (const key of Reflect.ownKeys(node)) {
    const value = (node as Record<PropertyKey, unknown>)[key];
    if (key === 'additionalProperties' && value === false) continue;
    out[key] = relax(value);
  }
  return out;
}

/** A validator for consumed messages: unknown properties pass and are stripped from what it returns. */
export interface LenientValidator<T extends TSchema> {
  readonly schema: T;
  /** A copy of `value` without the properties the schema does not know, or undefined when it is invalid. */
  parse(value: unknown): Static<T> | undefined;
  errors(value: unknown): { path: string; message: string }[];
}

const lenientCache = new WeakMap<TSchema, { relaxed: TSchema; check: Validator<TSchema> }>();

/** Compiles the lenient form of a schema once (cached per schema object). */
export function lenientValidator<T extends TSchema>(schema: T): LenientValidator<T> {
  let entry = lenientCache.get(schema);
  if (!entry) {
    const relaxed = lenient(schema);
    entry = { relaxed, check: validator(relaxed) };
    lenientCache.set(schema, entry);
  }
  const { relaxed, check } = entry;
  return {
    schema,
    // Clean removes what the schema does not declare; on a clone, so the caller's value is untouched.
    parse: (value: unknown) => (check.check(value) ? Value.Clean(relaxed, structuredClone(value)) : undefined),
    errors: (value: unknown) => check.errors(value),
  };
}

/** Describes why a value failed its schema, in one line. */
export function describeErrors(errors: { path: string; message: string }[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('; ');
}
