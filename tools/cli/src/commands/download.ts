import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { flag, optionalString, uuidArg } from '../args.ts';
import { LocalFileError, UnreachableError, WorkFailedError } from '../errors.ts';
import type { Command } from './command.ts';

const usage = 'reelforge download <content id> [-o <file>] [--thumbnail]';

export const downloadCommand: Command = {
  name: 'download',
  summary: 'save a clip (or its thumbnail) to a file',
  usage,
  help: [
    'Streams GET /api/v1/content/:id/file (or /thumbnail) to <file> (default <content id>.mp4 or .jpg in',
    'the current directory), through <file>.part renamed when complete, and checks the length.',
  ].join('\n'),
  options: { output: { type: 'string', short: 'o' }, thumbnail: { type: 'boolean' } },
  positionals: { names: ['<content id>'], required: 1 },
  async run({ values, positionals }, ctx) {
    const contentId = uuidArg(positionals[0]!, '<content id>', usage);
    const thumbnail = flag(values, 'thumbnail');
    const target = optionalString(values, 'output') ?? `${contentId}.${thumbnail ? 'jpg' : 'mp4'}`;
    const client = await ctx.client();
    const res = await client.openContentFile(contentId, thumbnail ? 'thumbnail' : 'file');
    const expected = Number(res.headers.get('content-length') ?? NaN);

    const partial = `${target}.part`;
    let written = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        written += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(
        Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
        count,
        createWriteStream(partial, { mode: 0o644 }),
      );
    } catch (err) {
      await rm(partial, { force: true });
      // File-system errors name their path; a broken download (undici's `terminated`) does not.
      if (err instanceof Error && 'path' in err) {
        throw new LocalFileError(`cannot write ${partial}: ${err.message}`, { cause: err });
      }
      throw new UnreachableError(`the download of ${contentId} broke off: ${(err as Error).message}`, { cause: err });
    }
    if (Number.isFinite(expected) && written !== expected) {
      await rm(partial, { force: true });
      throw new WorkFailedError(`the download of ${contentId} came short: ${written} of ${expected} bytes`);
    }
    try {
      await rename(partial, target);
    } catch (err) {
      throw new LocalFileError(`cannot move ${partial} to ${target}: ${(err as Error).message}`, { cause: err });
    }
    ctx.deps.stdout.write(`${target} (${written} bytes)\n`);
  },
};
