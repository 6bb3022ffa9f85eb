import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** whisper.cpp's model files (ggml) start with the magic 0x67676d6c, little-endian: "lmgg". */
const GGML_MAGIC = 0x67676d6c;
/** The smallest whisper model (tiny, quantised) is tens of MB: anything under 1 MB is not one. */
const MIN_MODEL_BYTES = 1024 * 1024;

/**
 * Why `path` cannot be a whisper.cpp model, or null when it looks like one: it must be a readable
 * regular file of at least 1 MB starting with ggml's magic. Cheap (reads 4 bytes), so it runs at
 * startup; loading the model is what proves it, and that happens per task.
 */
export function whisperModelProblem(path: string): string | null {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) return `${path} is not a file`;
    size = st.size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be read (${code ?? String(err)})`;
  }
  const head = Buffer.alloc(4);
  try {
    const fd = openSync(path, 'r');
    try {
      readSync(fd, head, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    return `${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  if (size < MIN_MODEL_BYTES || head.readUInt32LE(0) !== GGML_MAGIC)
    return `${path} is not a whisper.cpp model (a ggml .bin file such as ggml-base.en.bin)`;
  return null;
}
