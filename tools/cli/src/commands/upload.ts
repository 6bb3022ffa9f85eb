import { flag } from '../args.ts';
import { printJson } from '../output.ts';
import { JSON_OPTION, type Command } from './command.ts';

export const uploadCommand: Command = {
  name: 'upload',
  summary: 'upload a video (or a logo image) and print its upload id',
  usage: 'reelforge upload <file> [--json]',
  help: [
    'Streams the file to POST /api/v1/uploads (multipart) and prints the upload id, which',
    '`reelforge generate --upload <id>` takes. --json prints the whole upload (kind, size, duration).',
  ].join('\n'),
  options: { ...JSON_OPTION },
  positionals: { names: ['<file>'], required: 1 },
  async run({ values, positionals }, ctx) {
    const client = await ctx.client();
    const upload = await client.upload(positionals[0]!);
    if (flag(values, 'json')) {
      printJson(ctx.deps.stdout, upload);
      return;
    }
    ctx.deps.stdout.write(`${upload.id}\n`);
    const duration = upload.durationSeconds === null ? '' : `, ${upload.durationSeconds.toFixed(1)} s`;
    ctx.deps.stderr.write(
      `uploaded ${upload.kind} ${upload.width}x${upload.height}${duration}, ${upload.sizeBytes} bytes\n`,
    );
  },
};
