import { DomainError, ResolvedGenerationBody, type RecipeForm } from '@reelforge/contracts';
import { Value } from '@sinclair/typebox/value';

const WHOLE = /^\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}$/;
const INSIDE = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;

/** A form value as text inside a string: absent is empty, lists and objects are JSON. */
function formText(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === undefined || value === null ? '' : (JSON.stringify(value) ?? '');
}

/** Every variable a template names. */
export function templateVariables(template: unknown, found = new Set<string>()): Set<string> {
  if (typeof template === 'string') for (const m of template.matchAll(INSIDE)) found.add(m[1]!);
  else if (Array.isArray(template)) for (const v of template) templateVariables(v, found);
  else if (template && typeof template === 'object')
    for (const v of Object.values(template)) templateVariables(v, found);
  return found;
}

/** Fills a template: `"{{name}}"` becomes the value itself (number, boolean…); `{{name}}` inside text becomes its text. */
function fill(template: unknown, form: RecipeForm): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole) return form[whole[1]!];
    return template.replace(INSIDE, (_, name: string) => formText(form[name]));
  }
  if (Array.isArray(template)) return template.map((v) => fill(v, form));
  if (template && typeof template === 'object')
    return Object.fromEntries(
      Object.entries(template)
        .map(([k, v]) => [k, fill(v, form)])
        .filter(([, v]) => v !== undefined),
    );
  return template;
}

/**
 * The generation a filled form makes: the template filled in, its type set by the recipe's kind,
 * checked against what the orchestrator accepts, so a recipe can never produce a generation that
 * would be refused later (checked when the recipe is saved, with a sample form, and on every use).
 */
export function renderGeneration(kind: 'clips' | 'article', template: unknown, form: RecipeForm) {
  const filled = (fill(template ?? {}, form) ?? {}) as Record<string, unknown>;
  const generation = {
    type: kind === 'article' ? 'article' : typeof filled.type === 'string' ? filled.type : 'shorts',
    options: filled.options ?? {},
    ...(filled.article !== undefined ? { article: filled.article } : {}),
  };
  if (!Value.Check(ResolvedGenerationBody, generation)) {
    const [first] = [...Value.Errors(ResolvedGenerationBody, generation)];
    throw new DomainError(
      'VALIDATION_FAILED',
      `the template makes an invalid generation: ${first?.path || '/'} ${first?.message ?? ''}`.trim(),
      { field: 'body/template' },
    );
  }
  return generation as { type: string; options: Record<string, unknown>; article?: Record<string, unknown> };
}
