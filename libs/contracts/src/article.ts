import { Type, type Static } from '@sinclair/typebox';
import { CaptionOptions, RenderOptions } from './render-options.ts';

/** Limits of an article video's script: a scene stays a few breaths long, a caption fits two lines. */
export const SCRIPT_LIMITS = {
  minScenes: 1,
  maxScenes: 12,
  narrationMaxChars: 600,
  captionMaxChars: 120,
  titleMaxChars: 200,
} as const;
/** Video lengths an article video can be asked for, in seconds. */
export const ARTICLE_SECONDS = { min: 15, max: 90, default: 45 } as const;

export const ArticleScene = Type.Object(
  {
    narration: Type.String({
      minLength: 1,
      maxLength: SCRIPT_LIMITS.narrationMaxChars,
      description: 'What the voice says during the scene.',
    }),
    caption: Type.String({
      minLength: 1,
      maxLength: SCRIPT_LIMITS.captionMaxChars,
      description: 'On-screen text: a short form of the narration.',
    }),
    imageUrl: Type.Union([Type.String({ pattern: '^https?://' }), Type.Null()], {
      description: 'An image of the article shown behind the scene, if any.',
    }),
  },
  { additionalProperties: false },
);
export type ArticleScene = Static<typeof ArticleScene>;

/** The script of an article video: stored with the video and returned with its task and content. */
export const ArticleScript = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: SCRIPT_LIMITS.titleMaxChars }),
    language: Type.String({
      minLength: 1,
      maxLength: 35,
      description: 'BCP 47 tag of the narration (`und` when unknown).',
    }),
    scenes: Type.Array(ArticleScene, { minItems: SCRIPT_LIMITS.minScenes, maxItems: SCRIPT_LIMITS.maxScenes }),
    source: Type.Union([Type.Literal('extractive'), Type.Literal('llm')], {
      description: '`extractive`: sentences picked from the article; `llm`: written by a language model.',
    }),
  },
  { additionalProperties: false },
);
export type ArticleScript = Static<typeof ArticleScript>;

/** espeak-ng voice names (`en`, `en-us`, `de`, `en-gb-x-rp`, `en+f3`…) and API voice names alike. */
const Voice = Type.String({ minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9][A-Za-z0-9_+.-]*$' });

const MusicUrl = Type.String({
  minLength: 1,
  maxLength: 4096,
  pattern: '^https?://',
  description: 'An audio file (MP3, WAV, Ogg, FLAC, AAC/M4A, WebM) looped under the narration.',
});
const MusicVolume = Type.Number({
  minimum: 0.01,
  maximum: 1,
  description: 'Music level before ducking, 0–1 (default 0.25).',
});
export const DEFAULT_MUSIC_VOLUME = 0.25;

/** What a render job for an article video carries besides its render options. */
export const ArticleSpec = Type.Object(
  {
    targetSeconds: Type.Integer({ minimum: ARTICLE_SECONDS.min, maximum: ARTICLE_SECONDS.max }),
    voice: Type.Union([Voice, Type.Null()]),
    /** Words per minute (espeak-ng's `-s`); null: the voice's default. */
    rate: Type.Union([Type.Integer({ minimum: 80, maximum: 400 }), Type.Null()]),
    /** Replaces the article's own title on the title card. */
    title: Type.Union([Type.String({ minLength: 1, maxLength: SCRIPT_LIMITS.titleMaxChars }), Type.Null()]),
    /** Background music under the narration, ducked while the voice speaks (absent in jobs from before music). */
    music: Type.Optional(
      Type.Union([Type.Object({ url: MusicUrl, volume: MusicVolume }, { additionalProperties: false }), Type.Null()]),
    ),
  },
  { additionalProperties: false },
);
export type ArticleSpec = Static<typeof ArticleSpec>;

/** `POST /accounts/:id/articles`: an article URL in, one narrated vertical video out. */
export const CreateArticleBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 4096, pattern: '^https?://' }),
    targetSeconds: Type.Optional(
      Type.Integer({
        minimum: ARTICLE_SECONDS.min,
        maximum: ARTICLE_SECONDS.max,
        description: `Video length to aim for (default ${ARTICLE_SECONDS.default}).`,
      }),
    ),
    voice: Type.Optional(Voice),
    rate: Type.Optional(
      Type.Integer({ minimum: 80, maximum: 400, description: 'Narration speed in words per minute.' }),
    ),
    title: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: SCRIPT_LIMITS.titleMaxChars,
        description: "Title card text (default: the article's title).",
      }),
    ),
    aspect: RenderOptions.properties.aspect,
    width: RenderOptions.properties.width,
    captions: Type.Optional(CaptionOptions),
    preset: RenderOptions.properties.preset,
    musicUrl: Type.Optional(MusicUrl),
    musicVolume: Type.Optional(MusicVolume),
  },
  { additionalProperties: false },
);
export type CreateArticleBody = Static<typeof CreateArticleBody>;

/** An `article` generation's narration settings (each of its videos gets them). */
export const ArticleGenerationOptions = Type.Object(
  {
    targetSeconds: Type.Optional(Type.Integer({ minimum: ARTICLE_SECONDS.min, maximum: ARTICLE_SECONDS.max })),
    voice: Type.Optional(Voice),
    rate: Type.Optional(Type.Integer({ minimum: 80, maximum: 400 })),
    musicUrl: Type.Optional(MusicUrl),
    musicVolume: Type.Optional(MusicVolume),
  },
  { additionalProperties: false },
);
export type ArticleGenerationOptions = Static<typeof ArticleGenerationOptions>;
