export { ConfigError, commonSettings, env, loadConfig, type ConfigOf, type ConfigWarn } from './config.ts';
export { runReadiness, type ReadinessCheck } from './readiness.ts';
export { exitOnSignals } from './shutdown.ts';
export { runMain } from './run-main.ts';
export { startPlatform, type Platform } from './platform.ts';
export { bootService, type BootedService, type ServiceDefinition } from './service-definition.ts';
