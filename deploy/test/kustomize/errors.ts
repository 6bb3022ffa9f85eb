/** The kustomization is wrong (a missing file, a patch that matches nothing, a bad value). */
export class KustomizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KustomizeError';
  }
}

/** The kustomization uses something this renderer does not implement: it refuses rather than guess. */
export class UnsupportedKustomizeFeature extends KustomizeError {
  constructor(message: string) {
    super(`${message} (not supported by deploy/test/kustomize; see its render.ts for what is)`);
    this.name = 'UnsupportedKustomizeFeature';
  }
}
