export * from './media.ts';
export * from './helpers.ts';
export * from './file-server.ts';
