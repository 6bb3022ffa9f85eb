export * from './address-policy.ts';
export * from './guarded-lookup.ts';
