import { Type, type Static } from '@sinclair/typebox';

/** xfade transitions the pipeline supports (ffmpeg 5.1's list, less `custom`): what `GET /transitions` returns. */
export const TRANSITIONS = [
  'fade',
  'fadeblack',
  'fadewhite',
  'fadegrays',
  'dissolve',
  'distance',
  'pixelize',
  'radial',
  'hblur',
  'wipeleft',
  'wiperight',
  'wipeup',
  'wipedown',
  'wipetl',
  'wipetr',
  'wipebl',
  'wipebr',
  'slideleft',
  'slideright',
  'slideup',
  'slidedown',
  'smoothleft',
  'smoothright',
  'smoothup',
  'smoothdown',
  'circlecrop',
  'rectcrop',
  'circleopen',
  'circleclose',
  'vertopen',
  'vertclose',
  'horzopen',
  'horzclose',
  'diagtl',
  'diagtr',
  'diagbl',
  'diagbr',
  'hlslice',
  'hrslice',
  'vuslice',
  'vdslice',
  'squeezeh',
  'squeezev',
  'zoomin',
] as const;
export type Transition = (typeof TRANSITIONS)[number];

/** The font every text defaults to: installed with ffmpeg by the project's scripts (fonts-dejavu-core). */
export const DEFAULT_FONT_FAMILY = 'DejaVu Sans';

const Color = Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: 'An RGB colour, `#RRGGBB`.' });
const Seconds = (description: string) => Type.Number({ minimum: 0, maximum: 86_400, description });
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

const FontOptions = Type.Object(
  {
    family: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        pattern: '^[A-Za-z0-9 _-]+$',
        description: 'A family from `GET /fonts`.',
      }),
    ),
    size: Type.Optional(
      Type.Integer({
        minimum: 8,
        maximum: 300,
        description: 'Pixels at a 1080-wide output; scaled with the output width.',
      }),
    ),
    color: Type.Optional(Color),
    outlineColor: Type.Optional(Color),
    outlineWidth: Type.Optional(Type.Number({ minimum: 0, maximum: 20 })),
    bold: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
type FontOptions = Static<typeof FontOptions>;

const TextPosition = literals(['top', 'middle', 'bottom'] as const);

export const CaptionOptions = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({ description: 'Burn captions when the source has a transcript (default true).' }),
    ),
    font: Type.Optional(FontOptions),
    position: Type.Optional(TextPosition),
    maxCharsPerLine: Type.Optional(Type.Integer({ minimum: 8, maximum: 80 })),
    highlightColor: Type.Optional(Color),
  },
  { additionalProperties: false },
);

const TitleOptions = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 200 }),
    font: Type.Optional(FontOptions),
    position: Type.Optional(TextPosition),
    start: Type.Optional(Seconds('Seconds into the clip the title appears (default 0).')),
    end: Type.Optional(Seconds('Seconds into the clip the title disappears (default: 4 s after it appears).')),
  },
  { additionalProperties: false },
);

const logoFields = {
  uploadId: Type.String({ format: 'uuid', description: 'An image uploaded with `POST /uploads`.' }),
  position: Type.Optional(literals(['top-left', 'top-right', 'bottom-left', 'bottom-right'] as const)),
  scale: Type.Optional(
    Type.Number({
      minimum: 0.02,
      maximum: 1,
      description: 'Logo width as a fraction of the output width (default 0.15).',
    }),
  ),
  opacity: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
};
/** The logo as a client gives it: an upload id. */
const PublicLogoOptions = Type.Object(logoFields, { additionalProperties: false });
/** The logo as a render job carries it: the gateway adds where the upload is (it owns uploads). */
const LogoOptions = Type.Object(
  { ...logoFields, location: Type.Optional(Type.String({ pattern: '^media:uploads/', maxLength: 1024 })) },
  { additionalProperties: false },
);

const Span = Type.Object(
  { start: Seconds('Start in the source, seconds.'), end: Seconds('End in the source, seconds.') },
  { additionalProperties: false },
);
export type Span = Static<typeof Span>;

/** One clip chosen by the caller: a single span, or several joined with the transition. */
const ExplicitSegment = Type.Object(
  { parts: Type.Array(Span, { minItems: 1, maxItems: 8 }) },
  { additionalProperties: false },
);

const renderOptionFields = {
  aspect: Type.Optional(literals(['9:16', '1:1', '16:9', '4:5'] as const)),
  width: Type.Optional(
    Type.Integer({
      minimum: 64,
      maximum: 3840,
      multipleOf: 2,
      description: 'Output width in pixels; height follows the aspect.',
    }),
  ),
  mode: Type.Optional(
    Type.Union(
      (['fit_blur', 'crop', 'pad', 'track'] as const).map((v) => Type.Literal(v)),
      {
        description:
          'Reframe: `fit_blur` (whole picture over a blurred copy), `crop` (fixed window at cropX), `pad` (bars), `track` (a window following the main face; `fit_blur` when none is found). Unset: `track` for portrait outputs, `fit_blur` otherwise.',
      },
    ),
  ),
  cropX: Type.Optional(
    Type.Number({
      minimum: 0,
      maximum: 1,
      description: '`crop` mode: where the window sits across the frame, 0 left … 1 right (default 0.5).',
    }),
  ),
  padColor: Type.Optional(Color),
  clipCount: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 10, description: 'Clips to cut from each source (default 3).' }),
  ),
  minClipSeconds: Type.Optional(Type.Number({ minimum: 1, maximum: 600 })),
  maxClipSeconds: Type.Optional(Type.Number({ minimum: 1, maximum: 600 })),
  maxDurationSeconds: Type.Optional(
    Type.Number({ exclusiveMinimum: 0, maximum: 600, description: 'Deprecated alias of maxClipSeconds.' }),
  ),
  segments: Type.Optional(
    Type.Array(ExplicitSegment, { minItems: 1, maxItems: 10, description: 'Explicit clips: skips analysis.' }),
  ),
  captions: Type.Optional(CaptionOptions),
  title: Type.Optional(TitleOptions),
  fadeSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 5, description: 'Fade in and out (default 0.3).' })),
  transition: Type.Optional(literals(TRANSITIONS)),
  transitionSeconds: Type.Optional(Type.Number({ minimum: 0.1, maximum: 3 })),
  loudnorm: Type.Optional(Type.Boolean({ description: 'EBU R128 loudness normalisation (default true).' })),
  targetLufs: Type.Optional(Type.Number({ minimum: -40, maximum: -5 })),
  crf: Type.Optional(Type.Integer({ minimum: 0, maximum: 51 })),
  preset: Type.Optional(literals(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow'] as const)),
};
/** Render options as a job carries them (and the repurposer reads them, leniently: an option it does not know yet is ignored). */
export const RenderOptions = Type.Object(
  { ...renderOptionFields, logo: Type.Optional(LogoOptions) },
  { additionalProperties: false },
);
/** Render options as a client sends them. */
export const PublicRenderOptions = Type.Object(
  { ...renderOptionFields, logo: Type.Optional(PublicLogoOptions) },
  { additionalProperties: false },
);
export type RenderOptions = Static<typeof RenderOptions>;

export const ASPECTS = { '9:16': [9, 16], '1:1': [1, 1], '16:9': [16, 9], '4:5': [4, 5] } as const;

/** Output size for an aspect and width, both even (x264 needs even dimensions). */
export function outputSize(options: Pick<RenderOptions, 'aspect' | 'width'>): { width: number; height: number } {
  const [w, h] = ASPECTS[options.aspect ?? '9:16'];
  const width = options.width ?? (w > h ? 1920 : 1080); // 1080 wide for portrait and square, 1920 for landscape
  const height = Math.round((width * h) / w / 2) * 2;
  return { width, height };
}
export type PublicRenderOptions = Static<typeof PublicRenderOptions>;
