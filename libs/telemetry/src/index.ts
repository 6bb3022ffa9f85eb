export * from './logger.ts';
export * from './tracing.ts';
export { REDACTED_PATHS, redactSecrets } from './redact.ts';
