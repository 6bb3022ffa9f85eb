import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecipeView } from '@reelforge/contracts';
import { apiClient } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';

type Api = ReturnType<typeof apiClient>;

const CAPTION_RECIPE = {
  name: 'Bold captions',
  description: 'Vertical clips with captions in your colour.',
  kind: 'clips',
  variables: {
    type: 'object',
    properties: {
      colour: { type: 'string', enum: ['#FFE000', '#00E0FF'], default: '#FFE000' },
      headline: { type: 'string', minLength: 1, maxLength: 80 },
      clips: { type: 'integer', minimum: 1, maximum: 5, default: 2 },
    },
    required: ['headline'],
  },
  template: {
    options: {
      clipCount: '{{clips}}',
      captions: { highlightColor: '{{colour}}' },
      title: { text: 'Today: {{headline}}' },
    },
  },
  sourcePool: { kind: 'library', tag: 'podcast' },
  creditCost: 5,
} as const;

// The recipe catalogue through the public API: operators write it (checked whole: the form's
// schema, the template, the generation it makes), everyone reads the active recipes and renders a
// form into the generation it would start.
describe('recipes', () => {
  let stack: Stack;
  let ops: Api;
  let user: Api;

  beforeAll(async () => {
    stack = await startStack({ withRepurposer: false, withBacklog: true });
    ops = apiClient(stack.gatewayUrl, await stack.bearer('recipes-ops', ['operator']));
    user = apiClient(stack.gatewayUrl, await stack.bearer('recipes-user', ['admin']));
  });
  afterAll(() => stack?.stop());

  const create = async (body: unknown) => ops.post('/api/v1/recipes', body);

  it('an operator creates, changes and deactivates a recipe; a user sees the active ones and renders a form', async () => {
    const res = await create(CAPTION_RECIPE);
    expect(res.status, await res.clone().text()).toBe(201);
    const recipe = (await res.json()) as RecipeView;
    expect(recipe).toMatchObject({
      name: 'Bold captions',
      kind: 'clips',
      creditCost: 5,
      minBacklog: 3,
      active: true,
      instantAvailable: false,
    });

    expect(
      ((await (await user.call('/api/v1/recipes')).json()) as { items: RecipeView[] }).items.map((r) => r.id),
    ).toContain(recipe.id);
    const rendered = await user.post(`/api/v1/recipes/${recipe.id}/render`, { form: { headline: 'Three tips' } });
    expect(rendered.status).toBe(200);
    expect(await rendered.json()).toEqual({
      form: { headline: 'Three tips', colour: '#FFE000', clips: 2 },
      generation: {
        type: 'shorts',
        options: { clipCount: 2, captions: { highlightColor: '#FFE000' }, title: { text: 'Today: Three tips' } },
      },
    });

    // A form that breaks the schema: 400 naming the field.
    const bad = await user.post(`/api/v1/recipes/${recipe.id}/render`, { form: { headline: 'x', colour: '#123456' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('colour');
    expect((await user.post(`/api/v1/recipes/${recipe.id}/render`, { form: {} })).status).toBe(400);
    expect(
      (await user.post(`/api/v1/recipes/${recipe.id}/render`, { form: { headline: 'x', surprise: 1 } })).status,
    ).toBe(400);

    // Users cannot write the catalogue.
    expect((await user.post('/api/v1/recipes', CAPTION_RECIPE)).status).toBe(403);
    expect(
      (await user.call(`/api/v1/recipes/${recipe.id}`, { method: 'PATCH', body: JSON.stringify({ active: false }) }))
        .status,
    ).toBe(403);

    const changed = await ops.call(`/api/v1/recipes/${recipe.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ creditCost: 7, active: false }),
    });
    expect(await changed.json()).toMatchObject({ creditCost: 7, active: false });
    // Inactive: gone for users, still there for operators who ask.
    expect((await user.call(`/api/v1/recipes/${recipe.id}`)).status).toBe(404);
    expect(
      ((await (await user.call('/api/v1/recipes')).json()) as { items: RecipeView[] }).items.map((r) => r.id),
    ).not.toContain(recipe.id);
    expect((await user.call('/api/v1/recipes?includeInactive=true')).status).toBe(403);
    expect(
      ((await (await ops.call('/api/v1/recipes?includeInactive=true')).json()) as { items: RecipeView[] }).items.map(
        (r) => r.id,
      ),
    ).toContain(recipe.id);
  });

  it('refuses a recipe whose form, template or source pool cannot work, saying why', async () => {
    const refusal = async (body: unknown, says: string) => {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(says);
    };
    await refusal({ ...CAPTION_RECIPE, variables: { type: 'array' } }, 'type "object"');
    await refusal(
      { ...CAPTION_RECIPE, variables: { type: 'object', properties: { pick: { type: 'object' } } } },
      'string, number, integer or boolean',
    );
    await refusal(
      { ...CAPTION_RECIPE, variables: { type: 'object', properties: { n: { type: 'integer', minimun: 1 } } } },
      'not a valid JSON Schema',
    );
    await refusal({ ...CAPTION_RECIPE, template: { options: { title: { text: '{{missing}}' } } } }, 'missing');
    // clipCount 50 is more than a generation may ask for: the template would make a refused generation.
    await refusal(
      {
        ...CAPTION_RECIPE,
        variables: { type: 'object', properties: { clips: { type: 'integer', default: 50 } } },
        template: { options: { clipCount: '{{clips}}' } },
      },
      'invalid generation',
    );
    await refusal({ ...CAPTION_RECIPE, kind: 'article' }, 'articles');
    expect((await create({ ...CAPTION_RECIPE, name: '' })).status).toBe(400);
  });

  it('an article recipe renders an article generation', async () => {
    const res = await create({
      name: 'News in 30 seconds',
      kind: 'article',
      variables: { type: 'object', properties: { seconds: { type: 'integer', enum: [30, 45, 60], default: 30 } } },
      template: { article: { targetSeconds: '{{seconds}}' }, options: { preset: 'veryfast' } },
      sourcePool: { kind: 'articles', urls: ['https://news.example/today'] },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const recipe = (await res.json()) as RecipeView;
    const renderRes = await user.post(`/api/v1/recipes/${recipe.id}/render`, { form: { seconds: 45 } });
    expect(renderRes.status, await renderRes.clone().text()).toBe(200);
    const rendered = (await renderRes.json()) as { generation: unknown };
    expect(rendered.generation).toEqual({
      type: 'article',
      options: { preset: 'veryfast' },
      article: { targetSeconds: 45 },
    });
  });
});
