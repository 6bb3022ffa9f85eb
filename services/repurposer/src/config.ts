import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, commonSettings, env, loadConfig, type ConfigOf, type ConfigWarn } from '@reelforge/service-kit';
import { whisperModelProblem } from './captions/local-speech/whisper-model.ts';
import { platformHostsSetting } from './pipeline/platform-hosts.ts';

const configSpec = {
  ...commonSettings,
  DB_SCHEMA: env.string('repurposer'),
  HEALTH_PORT: env.port(8082),
  /** Concurrent renders in this process; ffmpeg uses several cores each, so default to half the CPUs. */
  TASK_WORKER_COUNT: env.int(Math.max(1, Math.floor(availableParallelism() / 2)), 1, 64),
  TASK_TIMEOUT: env.durationMs('m', '30m'),
  TASK_MAX_RETRIES: env.int(3, 0, 50),
  TASK_INITIAL_RETRY_DELAY: env.durationMs('s', '30s'),
  TASK_MAX_RETRY_DELAY: env.durationMs('s', '1800s'),
  /** How long a render job may go without an in-progress ack before JetStream redelivers it (a crashed worker's job comes back after this). */
  TASK_ACK_WAIT: env.durationMs('s', '60s'),
  /**
   * How long a stopping worker lets running renders finish before it interrupts them and hands their
   * jobs back (an interrupted attempt does not count as a retry). Keep it under the orchestrator's
   * grace (k8s terminationGracePeriodSeconds: 120 s) minus time to hand back and close (≈ 20 s).
   */
  SHUTDOWN_GRACE: env.durationMs('s', '100s'),
  /** Clips are deleted this long after they were made, unless their account says otherwise (0 = kept). */
  MEDIA_RETENTION: env.durationMs('d', '90d'),
  /** Bytes of clips one account may keep (0 = no quota); a render that would pass it fails, saying so. */
  ACCOUNT_STORAGE_QUOTA_BYTES: env.int(50 * 1024 ** 3, 0),
  FFMPEG_PATH: env.string('ffmpeg'),
  FFPROBE_PATH: env.string('ffprobe'),
  FFMPEG_THREADS: env.int(0, 0, 64),
  /** Face-tracked reframing (BlazeFace, in-process): off makes every clip use its mode, `track` falling back to fit_blur. */
  FACE_TRACKING: env.bool(true),
  MEDIA_ROOT: env.string(join(process.cwd(), '.data', 'media')),
  TEMP_DIR: env.string(join(tmpdir(), 'reelforge-repurposer')),
  SOURCE_URL_ALLOW_PRIVATE: env.bool(false),
  /** `noop` skips fetch and ffmpeg (a task completes with no clip): for measuring the control plane alone. */
  RENDER_STAGE: env.oneOf(['ffmpeg', 'noop'] as const, 'ffmpeg'),
  MAX_SOURCE_BYTES: env.int(2 * 1024 ** 3, 1),
  /** A Whisper-style speech-to-text endpoint; with TRANSCRIBE_API_KEY, sources without captions get transcribed. */
  TRANSCRIBE_API_URL: env.optionalString(),
  /** Secret: from the environment only. */
  TRANSCRIBE_API_KEY: env.optionalString(),
  TRANSCRIBE_MODEL: env.string('whisper-1'),
  TRANSCRIBE_TIMEOUT: env.durationMs('s', '10m'),
  /** A whisper.cpp model file (ggml, e.g. ggml-base.en.bin): sources without captions are transcribed locally, before any API. Checked at startup. */
  WHISPER_MODEL_PATH: env.optionalString(),
  /** The language whisper.cpp transcribes (`en`, `de`…), or `auto` to detect it (multilingual models). */
  WHISPER_LANGUAGE: env.string('auto'),
  /** Sources above this many pixels per frame are refused (default: 4K DCI, 4096×2160). */
  MAX_SOURCE_PIXELS: env.int(4096 * 2160, 1),
  SOURCE_FETCH_TIMEOUT: env.durationMs('s', '10m'),
  /** Hosts whose page links yt-dlp resolves to a media file (comma-separated; `none` turns it off). */
  VIDEO_PLATFORM_HOSTS: platformHostsSetting,
  /** The yt-dlp program (Debian's `yt-dlp` package). */
  YT_DLP_PATH: env.string('yt-dlp'),
  /** Article videos: the offline narrator, used when no speech API is configured. */
  ESPEAK_NG_PATH: env.string('espeak-ng'),
  /** An OpenAI-compatible speech API (`…/v1`); with SPEECH_API_KEY (secret), narration uses it instead of espeak-ng. */
  SPEECH_API_URL: env.optionalString(),
  SPEECH_API_KEY: env.optionalString(),
  SPEECH_MODEL: env.string('tts-1'),
  SPEECH_VOICE: env.string('alloy'),
  SPEECH_TIMEOUT: env.durationMs('s', '2m'),
  /** An OpenAI-compatible chat API (`…/v1`); with SCRIPT_API_KEY (secret), it writes article scripts (extractive otherwise, and on its failure). */
  SCRIPT_API_URL: env.optionalString(),
  SCRIPT_API_KEY: env.optionalString(),
  SCRIPT_MODEL: env.string('gpt-4o-mini'),
  SCRIPT_TIMEOUT: env.durationMs('s', '60s'),
  /** An OpenAI-compatible chat API (`…/v1`) that ranks candidate clips by their transcript; off unless set. MOMENTS_API_KEY (secret) is optional (local servers). */
  MOMENTS_API_URL: env.optionalString(),
  MOMENTS_API_KEY: env.optionalString(),
  MOMENTS_MODEL: env.string('gpt-4o-mini'),
  MOMENTS_TIMEOUT: env.durationMs('s', '30s'),
  /** Limits of an article page and its images (each image; at most ARTICLE_MAX_IMAGES are fetched). */
  ARTICLE_MAX_PAGE_BYTES: env.int(5 * 1024 ** 2, 1),
  ARTICLE_MAX_IMAGE_BYTES: env.int(10 * 1024 ** 2, 1),
  ARTICLE_MAX_IMAGES: env.int(8, 0, 12),
  ARTICLE_MAX_MUSIC_BYTES: env.int(20 * 1024 ** 2, 1),
};

export type RepurposerConfig = ConfigOf<typeof configSpec>;

export function loadRepurposerConfig(
  source: Record<string, string | undefined> = process.env,
  warn?: ConfigWarn,
): RepurposerConfig {
  const config = loadConfig(configSpec, source, warn);
  // A model that is not there fails at startup, not in every task that needs captions.
  const problem = config.WHISPER_MODEL_PATH ? whisperModelProblem(config.WHISPER_MODEL_PATH) : null;
  if (problem) throw new ConfigError([`WHISPER_MODEL_PATH: ${problem}`]);
  return config;
}
