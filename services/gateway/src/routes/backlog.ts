import type { GatewayApp } from '../http/gateway-app.ts';
import {
  BacklogView,
  CreateRecipeBody,
  GenerationView,
  InstantBody,
  InstantClaimView,
  RecipeForm,
  RecipeGenerationBody,
  RecipeView,
  RenderedRecipe,
  UpdateRecipeBody,
  backlogCommands,
  recipeCommands,
} from '@reelforge/contracts';
import { Type } from '@sinclair/typebox';
import { requireOperator } from '../auth/roles.ts';
import type { Forward } from '../http/forward.ts';
import { refuseWhenFull } from './generations.ts';
import { ErrorResponse, IdParam, PageQuery, errorResponses } from '../http/schemas.ts';

/** Recipes, their backlogs and instant claims (served by the backlog-keeper). */
export function registerBacklogRoutes(app: GatewayApp, forward: Forward): void {
  const Page = Type.Object({ items: Type.Array(RecipeView), nextCursor: Type.Union([Type.String(), Type.Null()]) });
  const ListQuery = Type.Object(
    { includeInactive: Type.Optional(Type.Boolean()), ...PageQuery.properties },
    { additionalProperties: false },
  );
  const RecipeId = IdParam('recipeId');
  app.get(
    '/api/v1/recipes',
    { schema: { querystring: ListQuery, response: { 200: Page, 403: ErrorResponse, ...errorResponses } } },
    async (req) => {
      const q = req.query;
      if (q.includeInactive) requireOperator(req.principal, 'listing inactive recipes');
      return forward(recipeCommands.list, { principal: req.principal, ...q });
    },
  );
  app.get(
    '/api/v1/recipes/:recipeId',
    { schema: { params: RecipeId, response: { 200: RecipeView, ...errorResponses } } },
    async (req) => forward(recipeCommands.get, { principal: req.principal, recipeId: req.params.recipeId }),
  );
  // The recipe catalogue is system-wide: operators write it.
  app.post(
    '/api/v1/recipes',
    { schema: { body: CreateRecipeBody, response: { 201: RecipeView, 403: ErrorResponse, ...errorResponses } } },
    async (req, reply) => {
      requireOperator(req.principal, 'creating recipes');
      return reply.status(201).send(await forward(recipeCommands.create, { principal: req.principal, body: req.body }));
    },
  );
  app.patch(
    '/api/v1/recipes/:recipeId',
    {
      schema: {
        params: RecipeId,
        body: UpdateRecipeBody,
        response: { 200: RecipeView, 403: ErrorResponse, ...errorResponses },
      },
    },
    async (req) => {
      requireOperator(req.principal, 'changing recipes');
      return forward(recipeCommands.update, {
        principal: req.principal,
        recipeId: req.params.recipeId,
        body: req.body,
      });
    },
  );
  app.post(
    '/api/v1/recipes/:recipeId/render',
    {
      schema: {
        params: RecipeId,
        body: Type.Object({ form: RecipeForm }, { additionalProperties: false }),
        response: { 200: RenderedRecipe, ...errorResponses },
      },
    },
    async (req) =>
      forward(recipeCommands.render, {
        principal: req.principal,
        recipeId: req.params.recipeId,
        form: req.body.form,
      }),
  );
  // The normal (not instant) path: the form made now in one of the caller's accounts, from its own sources.
  app.post(
    '/api/v1/recipes/:recipeId/generations',
    {
      config: { idempotent: true },
      schema: {
        params: RecipeId,
        body: RecipeGenerationBody,
        response: {
          202: Type.Object({ generation: GenerationView, shortBy: Type.Integer(), form: RecipeForm }),
          402: ErrorResponse,
          409: ErrorResponse,
          422: ErrorResponse,
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const body = req.body;
      await refuseWhenFull(forward, req.principal, body.accountId);
      const idempotencyKey = req.idempotency?.key;
      const result = await forward(recipeCommands.generate, {
        principal: req.principal,
        recipeId: req.params.recipeId,
        body,
        ...(idempotencyKey ? { idempotencyKey } : {}),
      });
      return reply.status(202).header('location', `/api/v1/generations/${result.generation.id}`).send(result);
    },
  );
  app.get(
    '/api/v1/recipes/:recipeId/backlog',
    { schema: { params: RecipeId, response: { 200: BacklogView, ...errorResponses } } },
    async (req) => forward(backlogCommands.getBacklog, { principal: req.principal, recipeId: req.params.recipeId }),
  );
  // 404 with details.fallbackToModal when nothing is ready (the client opens the normal form), 402 when the account cannot pay.
  app.post(
    '/api/v1/instant',
    {
      config: { idempotent: true },
      schema: {
        body: InstantBody,
        response: { 200: InstantClaimView, 402: ErrorResponse, 422: ErrorResponse, ...errorResponses },
      },
    },
    async (req) => {
      const idempotencyKey = req.idempotency?.key;
      return forward(backlogCommands.claimInstant, {
        principal: req.principal,
        body: req.body,
        ...(idempotencyKey ? { idempotencyKey } : {}),
      });
    },
  );
}
