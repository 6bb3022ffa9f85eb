export { isForbiddenAddress, sourceUrlProblem } from './address-policy.ts';
export { FORBIDDEN_ADDRESS, guardedLookup } from './guarded-lookup.ts';
