import { Type, type Static } from '@sinclair/typebox';

/**
 * Options for one render. One schema, shared by the gateway (HTTP validation, OpenAPI) and the
 * repurposer (job validation). Defaults give a good-looking 1080×1920 short with no options at all.
 */
export const RenderOptions = Type.Object(
  {
    aspect: Type.Optional(Type.Union([Type.Literal('9:16'), Type.Literal('1:1'), Type.Literal('16:9'), Type.Literal('4:5')], { default: '9:16' })),
    width: Type.Optional(Type.Integer({ minimum: 64, maximum: 3840, multipleOf: 2, description: 'Output width in pixels; height follows the aspect.' })),
    maxDurationSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 600, description: 'Cut the clip to at most this long.' })),
    crf: Type.Optional(Type.Integer({ minimum: 0, maximum: 51 })),
    preset: Type.Optional(Type.Union(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow'].map((p) => Type.Literal(p)))),
  },
  { additionalProperties: false },
);
export type RenderOptions = Static<typeof RenderOptions>;

export const ASPECTS = { '9:16': [9, 16], '1:1': [1, 1], '16:9': [16, 9], '4:5': [4, 5] } as const;

/** Output size for an aspect and width, both even (x264 needs even dimensions). */
export function outputSize(options: RenderOptions): { width: number; height: number } {
  const [w, h] = ASPECTS[options.aspect ?? '9:16'];
  const width = options.width ?? (w > h ? 1920 : 1080); // 1080 wide for portrait and square, 1920 for landscape
  const height = Math.round((width * h) / w / 2) * 2;
  return { width, height };
}
