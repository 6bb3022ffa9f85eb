export * from './tools.ts';
export * from './free-port.ts';
export * from './nats-server.ts';
export * from './postgres.ts';
