export * from './duration.ts';
export * from './config.ts';
export * from './readiness.ts';
export * from './health-server.ts';
export * from './shutdown.ts';
export * from './run-main.ts';
export * from './platform.ts';
export * from './service-definition.ts';
