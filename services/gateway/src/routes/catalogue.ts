import type { GatewayApp } from '../http/gateway-app.ts';
import { Type } from '@sinclair/typebox';
import { TRANSITIONS, repurposerCommands } from '@reelforge/contracts';
import type { Forward } from '../http/forward.ts';
import { errorResponses } from '../http/schemas.ts';

/** The media catalogue: which fonts the render workers can draw and which transitions they support. */
export function registerCatalogueRoutes(app: GatewayApp, forward: Forward): void {
  const Fonts = Type.Object({
    defaultFamily: Type.String(),
    items: Type.Array(Type.Object({ family: Type.String(), styles: Type.Array(Type.String()) })),
  });
  // Asked of the repurposer, not read here: the fonts that matter are on the machines that render.
  app.get('/api/v1/fonts', { schema: { response: { 200: Fonts, ...errorResponses } } }, async () =>
    forward(repurposerCommands.listFonts, {}),
  );
  const Transitions = Type.Object({ default: Type.String(), items: Type.Array(Type.String()) });
  app.get('/api/v1/transitions', { schema: { response: { 200: Transitions, ...errorResponses } } }, async () => ({
    default: 'fade',
    items: [...TRANSITIONS],
  }));
}
