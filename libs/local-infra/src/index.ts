export { MissingToolError, TOOLS, ensureFontFamily, ensureTool, toolVersion } from './tools.ts';
export { freePort } from './free-port.ts';
export {
  generateNatsCredentials,
  startNatsServer,
  stopChild,
  type NatsCredentials,
  type RunningNats,
} from './nats-server.ts';
export { startEmbeddedPostgres, type RunningPostgres } from './postgres.ts';
export { startRedisServer, type RunningRedis } from './redis-server.ts';
export { redisCommand, type RedisReply } from './redis-command.ts';
export { postgresUser, userCanRun, userCanUseDirectory } from './postgres-user.ts';
export { embeddedPostgresPackageDir } from './postgres-binaries.ts';
export { RELOCATED_MARKER } from './postgres-data-dir.ts';
export { startedList } from './started.ts';
export { startTestInfra } from './test-infra.ts';
