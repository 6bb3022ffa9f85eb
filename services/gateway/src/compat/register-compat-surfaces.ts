import type { GatewayApp } from '../http/gateway-app.ts';
import { registerButterRoutes, type ButterDeps } from './butter/butter-routes.ts';
import { registerDelulaRoutes } from './delula/delula-routes.ts';
import { registerReelcraftRoutes, type ReelcraftDeps } from './reelcraft/reelcraft-routes.ts';
import { registerSupoclipRoutes, type SupoclipDeps } from './supoclip/supoclip-routes.ts';

/** Registers the compatibility surfaces a deployment lists (docs/compat.md); none are on by default. */
export function registerCompatSurfaces(
  app: GatewayApp,
  surfaces: readonly string[],
  deps: ReelcraftDeps & SupoclipDeps & ButterDeps,
): void {
  if (surfaces.includes('reelcraft')) registerReelcraftRoutes(app, deps);
  if (surfaces.includes('supoclip')) registerSupoclipRoutes(app, deps);
  if (surfaces.includes('butter')) registerButterRoutes(app, deps);
  if (surfaces.includes('delula')) registerDelulaRoutes(app, deps);
}
