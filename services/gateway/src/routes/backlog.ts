import type { FastifyInstance } from 'fastify';
import { BacklogView, ContentView, CreateRecipeBody, InstantBody, RecipeView, backlogCommands } from '@reelforge/contracts';
import { Type } from '@sinclair/typebox';
import { requireOperator } from '../auth/roles.ts';
import type { Forward } from '../http/forward.ts';
import { ErrorResponse, IdParam, PageQuery, errorResponses } from '../http/schemas.ts';
import type { AccountScope } from '../http/scope.ts';

/** Recipes, their backlogs and instant claims: owned by the backlog-keeper (503 naming it until it serves them). */
export function registerBacklogRoutes(app: FastifyInstance, forward: Forward, scope: AccountScope): void {
  const Page = Type.Object({ items: Type.Array(RecipeView), nextCursor: Type.Union([Type.String(), Type.Null()]) });
  app.get('/api/v1/recipes', { schema: { querystring: PageQuery, response: { 200: Page, ...errorResponses } } }, async (req) =>
    forward(backlogCommands.listRecipes, { principal: req.principal, ...(req.query as typeof PageQuery.static) }),
  );
  app.post('/api/v1/recipes', { schema: { body: CreateRecipeBody, response: { 201: RecipeView, 403: ErrorResponse, ...errorResponses } } }, async (req, reply) => {
    requireOperator(req.principal, 'creating recipes'); // the recipe catalogue is system-wide
    return reply.status(201).send(await forward(backlogCommands.createRecipe, { principal: req.principal, body: req.body as typeof CreateRecipeBody.static }));
  });
  app.get('/api/v1/recipes/:recipeId/backlog', { schema: { params: IdParam('recipeId'), response: { 200: BacklogView, ...errorResponses } } }, async (req) =>
    forward(backlogCommands.getBacklog, { principal: req.principal, recipeId: (req.params as { recipeId: string }).recipeId }),
  );
  app.post(
    '/api/v1/instant',
    { config: { idempotent: true }, schema: { body: InstantBody, response: { 200: ContentView, 402: ErrorResponse, 409: ErrorResponse, ...errorResponses } } },
    async (req) => {
      const body = req.body as typeof InstantBody.static;
      return forward(backlogCommands.claimInstant, { principal: req.principal, accountIds: await scope.ids(req.principal, body.account_id), body });
    },
  );
}
