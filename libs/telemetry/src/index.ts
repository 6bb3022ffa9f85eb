export { createLogger, type Logger } from './logger.ts';
export { initTelemetry } from './tracing.ts';
export { REDACTED_PATHS, redactSecrets } from './redact.ts';
export { createMetrics, perScrape, type Metrics } from './metrics.ts';
export { formatLine } from './log-format.ts';
