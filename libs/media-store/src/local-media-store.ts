import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';

/** Where finished media lives. Keys are built by the service from ids, never taken from a client. */
export interface MediaStore {
  /** Moves a finished local file under `key`, atomically (readers never see a partial file). */
  putFile(key: string, localPath: string): Promise<{ sizeBytes: number; checksumSha256: string }>;
  /** Absolute local path for a key (local store only; streaming reads go through this). */
  pathOf(key: string): string;
  remove(key: string): Promise<void>;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** The local-filesystem store under `root`: temp file in the target directory, then rename. */
export function createLocalMediaStore(root: string): MediaStore {
  const base = resolve(root);
  const pathOf = (key: string) => {
    if (!KEY.test(key) || key.includes('..')) throw new Error(`invalid media key ${JSON.stringify(key)}`);
    const full = resolve(base, key);
    if (!full.startsWith(base + sep)) throw new Error(`media key escapes the store: ${JSON.stringify(key)}`);
    return full;
  };
  return {
    pathOf,
    putFile: async (key, localPath) => {
      const target = pathOf(key);
      await mkdir(dirname(target), { recursive: true });
      const tmp = join(dirname(target), `.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await rename(localPath, tmp);
      } catch (err) {
        // Different filesystem (TEMP_DIR on tmpfs): copy into the store's directory first.
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
        await copyFile(localPath, tmp);
      }
      try {
        const checksumSha256 = await sha256File(tmp);
        const { size } = await stat(tmp);
        await rename(tmp, target);
        return { sizeBytes: size, checksumSha256 };
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    },
    remove: (key) => rm(pathOf(key), { force: true }),
  };
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}
