import type { RecipeForm } from '@reelforge/contracts';
import { sampleForm, validateForm, type VariablesSchema } from '../recipes/recipe-variables.ts';
import type { UsageOption } from './usage-stats.ts';

type Variable = VariablesSchema['properties'][string];

/** Whether a value recorded in the statistics is still allowed by the variable (the schema may have changed since). */
function fits(v: Variable, value: unknown): boolean {
  if (v.enum) return v.enum.some((e) => e === value);
  if (v.type === 'boolean') return typeof value === 'boolean';
  if (v.type === 'string') return typeof value === 'string' && value.length >= (v.minLength ?? 0);
  if (typeof value !== 'number' || (v.type === 'integer' && !Number.isInteger(value))) return false;
  return value >= (v.minimum ?? -Infinity) && value <= (v.maximum ?? Infinity);
}

/** A value drawn with probability proportional to its uses. */
function weighted(options: UsageOption[], random: () => number): unknown {
  const total = options.reduce((a, o) => a + o.uses, 0);
  let r = random() * total;
  for (const o of options) if ((r -= o.uses) < 0) return o.value;
  return options[options.length - 1]!.value;
}

/** A random allowed value; undefined where the schema gives no range to draw from (its default then applies). */
function randomValue(v: Variable, random: () => number): unknown {
  if (v.enum?.length) return v.enum[Math.floor(random() * v.enum.length)];
  if (v.type === 'boolean') return random() < 0.5;
  if ((v.type === 'number' || v.type === 'integer') && v.minimum !== undefined && v.maximum !== undefined) {
    // Integers: each of min…max equally likely (max included).
    if (v.type === 'integer')
      return Math.min(
        v.maximum,
        Math.ceil(v.minimum) + Math.floor(random() * (Math.floor(v.maximum) - Math.ceil(v.minimum) + 1)),
      );
    return v.minimum + random() * (v.maximum - v.minimum);
  }
  return undefined;
}

/**
 * The form a new backlog item is made with: each variable's value drawn by weight from what users
 * really chose (claims and generations), else a random allowed value, else its default; the whole
 * form is then validated against the recipe's schema, falling back to the sample form (defaults)
 * if a drawn combination is refused.
 */
export function drawForm(schema: VariablesSchema, usage: UsageOption[], random: () => number): RecipeForm {
  const form: RecipeForm = {};
  for (const [name, v] of Object.entries(schema.properties)) {
    const seen = usage.filter((u) => u.variable === name && u.uses > 0 && fits(v, u.value));
    const value = seen.length ? weighted(seen, random) : randomValue(v, random);
    if (value !== undefined) form[name] = value;
  }
  try {
    return validateForm(schema, form);
  } catch {
    return validateForm(schema, sampleForm(schema));
  }
}
