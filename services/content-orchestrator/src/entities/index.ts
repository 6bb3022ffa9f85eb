import { Account } from './account.ts';
import { Generation, GenerationLock, GenerationTask } from './generation.ts';
import { SourceVideo } from './source-video.ts';

export { Account, SourceVideo, Generation, GenerationTask, GenerationLock };

/** Every entity of the orchestrator's schema, listed explicitly (no folder scanning). */
export const entities = [Account, SourceVideo, Generation, GenerationTask, GenerationLock];
