import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { DomainError, type RecipeForm } from '@reelforge/contracts';

type Scalar = string | number | boolean;
interface VariableSchema {
  type: 'string' | 'number' | 'integer' | 'boolean';
  enum?: Scalar[];
  default?: Scalar;
  minimum?: number;
  maximum?: number;
  minLength?: number;
}
export interface VariablesSchema {
  type: 'object';
  properties: Record<string, VariableSchema>;
  required?: string[];
  additionalProperties: false;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const TYPES = new Set(['string', 'number', 'integer', 'boolean']);
const invalid = (message: string) => new DomainError('VALIDATION_FAILED', message, { field: 'body/variables' });

// One compiler for every recipe: strict mode refuses unknown keywords, defaults fill a form in place.
const ajv = new Ajv2020({ strict: true, useDefaults: true, allErrors: true });
// Compiled validators by schema text (ajv would otherwise keep one per schema object forever).
const validators = new Map<string, ValidateFunction>();
function compiled(schema: VariablesSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    // Removed from ajv's own cache too: the Map is the only place a validator lives.
    ajv.removeSchema(schema);
    if (validators.size >= 500) validators.delete(validators.keys().next().value!);
    validators.set(key, validate);
  }
  return validate;
}

/**
 * Checks a recipe's form schema: an object of named scalar variables (so a form is always a flat
 * list of fields a UI can draw, and a value always fits a template slot). Returns it with
 * `additionalProperties: false` (an unknown field is a mistake, not data).
 */
export function checkVariables(raw: unknown): VariablesSchema {
  if (raw === undefined) return { type: 'object', properties: {}, additionalProperties: false };
  if (typeof raw !== 'object' || raw === null || (raw as { type?: unknown }).type !== 'object')
    throw invalid('variables must be a JSON Schema of type "object"');
  const schema = { additionalProperties: false, properties: {}, ...raw } as VariablesSchema;
  if (schema.additionalProperties) throw invalid('variables may not allow additional properties');
  for (const [name, v] of Object.entries(schema.properties)) {
    if (!NAME.test(name))
      throw invalid(`variable name "${name}" must be a letter then letters, digits or _ (at most 64)`);
    if (typeof v !== 'object' || v === null || !TYPES.has(v.type))
      throw invalid(`variable "${name}" must have type string, number, integer or boolean`);
  }
  try {
    compiled(schema);
  } catch (err) {
    throw invalid(`variables is not a valid JSON Schema: ${(err as Error).message}`);
  }
  return schema;
}

/** Validates a user's form against the schema and returns it with the schema's defaults filled in. */
export function validateForm(schema: VariablesSchema, form: RecipeForm): RecipeForm {
  const filled: RecipeForm = { ...form };
  const validate = compiled(schema);
  if (!validate(filled)) {
    const first = validate.errors?.[0];
    const where = first?.instancePath
      ? first.instancePath.slice(1)
      : ((first?.params as { missingProperty?: string; additionalProperty?: string } | undefined)?.missingProperty ??
        (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty ??
        '');
    throw new DomainError(
      'VALIDATION_FAILED',
      `the form is not valid: ${where ? `${where} ` : ''}${first?.message ?? 'invalid'}`,
      { field: `body/form${where ? `/${where}` : ''}` },
    );
  }
  return filled;
}

/** A form every variable can be tried with: its default, else its first allowed value, else a value of its type. */
export function sampleForm(schema: VariablesSchema): RecipeForm {
  const form: RecipeForm = {};
  for (const [name, v] of Object.entries(schema.properties)) {
    form[name] =
      v.default ??
      v.enum?.[0] ??
      (v.type === 'boolean'
        ? false
        : v.type === 'string'
          ? 'x'.repeat(Math.max(1, v.minLength ?? 1))
          : (v.minimum ?? 0));
  }
  return form;
}
