import type { Static, TSchema } from '@sinclair/typebox';
import { FormatRegistry } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { UUID_PATTERN } from './ids.ts';

// TypeBox rejects unknown formats; register the ones the contracts use (same meaning as ajv-formats).
const uuidRe = new RegExp(UUID_PATTERN);
const dateTimeRe = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (v) => uuidRe.test(v));
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => dateTimeRe.test(v) && !Number.isNaN(Date.parse(v)));

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
    errors: (value: unknown) => [...c.Errors(value)].slice(0, 10).map((e) => ({ path: e.path || '/', message: e.message })),
  };
}

/** Describes why a value failed its schema, in one line. */
export function describeErrors(errors: { path: string; message: string }[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('; ');
}
