export { makeTestVideo, probeSummary } from './media.ts';
export { deferred, eventually, memoryLogger, uniqueToken } from './helpers.ts';
export { serveFiles } from './file-server.ts';
export { startServiceProcess, type ServiceProcess } from './service-process.ts';
export { processesWorkingIn, processesWorkingInDirNamed } from './processes.ts';
export { IMAGE_COLOURS, articlePage, writeArticleSite } from './article-site.ts';
