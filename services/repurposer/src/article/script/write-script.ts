import type { ExtractedArticle } from '../extract-article.ts';
import { writeExtractiveScript } from './extractive-script.ts';
import type { LlmScriptWriter } from './llm-script-writer.ts';
import type { ScriptOptions, VideoScript } from './scene.ts';

export interface WrittenScript {
  script: VideoScript;
  /** Why the LLM's script was not used though one is configured; null when it was, or none is. */
  fallbackReason: string | null;
}

/**
 * The script for an article: the LLM's when one is configured and it delivers, else the extractive
 * one. Any LLM failure falls back (a video without an LLM script beats no video), with the reason
 * kept for the task's record. Only the caller's abort propagates: then nobody wants a script.
 */
export async function writeScript(
  article: ExtractedArticle,
  options: ScriptOptions,
  writers: { llm: LlmScriptWriter | null },
  signal?: AbortSignal,
): Promise<WrittenScript> {
  if (!writers.llm) return { script: writeExtractiveScript(article, options), fallbackReason: null };
  try {
    return { script: await writers.llm.write(article, options, signal), fallbackReason: null };
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    const reason = err instanceof Error ? err.message : String(err);
    return { script: writeExtractiveScript(article, options), fallbackReason: reason };
  }
}
