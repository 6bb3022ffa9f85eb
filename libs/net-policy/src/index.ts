export * from './address-policy.ts';
