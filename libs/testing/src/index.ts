export * from './media.ts';
export * from './helpers.ts';
export * from './file-server.ts';
export * from './service-process.ts';
export * from './processes.ts';
export * from './article-site.ts';
