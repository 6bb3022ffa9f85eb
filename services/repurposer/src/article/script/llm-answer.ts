import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ScriptWriterError } from '../errors.ts';
import type { ExtractedArticle } from '../extract-article.ts';
import { countWords } from '../text.ts';
import { SCRIPT_LIMITS, VideoScript } from './scene.ts';

/** A budget overrun the LLM is forgiven: models count words loosely, narration speed varies. */
const BUDGET_TOLERANCE = 1.3;

/**
 * What the model is asked to answer. Images are referred to by index so it cannot invent URLs.
 * Unknown extra keys are tolerated (models add them); a missing imageIndex means no image.
 */
const LlmAnswer = Type.Object({
  title: Type.String({ minLength: 1, maxLength: SCRIPT_LIMITS.titleMaxChars }),
  scenes: Type.Array(
    Type.Object({
      narration: Type.String({ minLength: 1, maxLength: SCRIPT_LIMITS.narrationMaxChars }),
      caption: Type.String({ minLength: 1, maxLength: SCRIPT_LIMITS.captionMaxChars }),
      imageIndex: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    }),
    { minItems: SCRIPT_LIMITS.minScenes, maxItems: SCRIPT_LIMITS.maxScenes },
  ),
});
type LlmAnswer = Static<typeof LlmAnswer>;

/**
 * The script in a model's message content, or a ScriptWriterError saying what is wrong with it. Not
 * permanent: the same request may well be answered correctly next time.
 */
export function scriptFromAnswer(
  content: string,
  article: ExtractedArticle,
  budget: number,
  maxScenes: number,
): VideoScript {
  let answer: unknown;
  try {
    // json_object mode should give bare JSON; some servers still wrap it in a Markdown fence.
    answer = JSON.parse(content.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/u, '$1'));
  } catch {
    throw new ScriptWriterError(`the LLM answered with invalid JSON: ${excerpt(content)}`, false);
  }
  if (!Value.Check(LlmAnswer, answer)) {
    const problems = [...Value.Errors(LlmAnswer, answer)].slice(0, 3).map((e) => `${e.path || '/'} ${e.message}`);
    throw new ScriptWriterError(`the LLM's script does not match the schema: ${problems.join('; ')}`, false);
  }
  if (answer.scenes.length > maxScenes)
    throw new ScriptWriterError(
      `the LLM wrote ${answer.scenes.length} scenes, more than the ${maxScenes} allowed`,
      false,
    );
  const words = answer.scenes.reduce((n, s) => n + countWords(s.narration), 0);
  if (words > BUDGET_TOLERANCE * budget)
    throw new ScriptWriterError(`the LLM's narration has ${words} words, over the budget of ${budget}`, false);

  const script: VideoScript = {
    title: answer.title.trim(),
    language: article.lang ?? 'und',
    scenes: answer.scenes.map((s) => ({
      narration: s.narration.trim(),
      caption: s.caption.trim(),
      imageUrl: s.imageIndex == null ? null : (article.images[s.imageIndex]?.url ?? null),
    })),
    source: 'llm',
  };
  // Trimming may have emptied a field the schema required to be non-empty.
  if (!Value.Check(VideoScript, script))
    throw new ScriptWriterError('the LLM wrote an empty title, narration or caption', false);
  return script;
}

const excerpt = (text: string) => JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
