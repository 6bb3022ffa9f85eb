import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { kindSniffer } from '../src/uploads/upload-kind.ts';

const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

/** Streams `bytes` through a sniffer in `chunk`-byte pieces; returns what came out and what it decided. */
async function sniff(bytes: Buffer, chunk: number, maxImageBytes: number) {
  const sniffer = kindSniffer(maxImageBytes);
  const out: Buffer[] = [];
  const pieces = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) =>
    bytes.subarray(i * chunk, (i + 1) * chunk),
  );
  await pipeline(
    Readable.from(pieces),
    sniffer,
    new Writable({
      write(c: Buffer, _enc, done) {
        out.push(c);
        done();
      },
    }),
  );
  return { kind: sniffer.kind(), tooLarge: sniffer.imageTooLarge(), kept: Buffer.concat(out) };
}

// The kind is told from the first bytes even when they arrive one at a time; an image stops being
// kept at its limit (the rest is read and dropped), a video is not cut.
describe('upload kind sniffer', () => {
  it('tells an image from split first bytes and keeps at most its limit', async () => {
    const png = Buffer.concat([PNG_HEAD, Buffer.alloc(100, 7)]);
    expect(await sniff(png, 1, 1000)).toEqual({ kind: 'image', tooLarge: false, kept: png });
    const big = await sniff(png, 5, 50);
    expect(big).toMatchObject({ kind: 'image', tooLarge: true });
    expect(big.kept.length).toBeLessThanOrEqual(50);
  });

  it('passes a video (and a file shorter than the head) through whole, whatever the image limit', async () => {
    const mp4 = Buffer.concat([Buffer.from('\0\0\0\x18ftypmp42', 'latin1'), Buffer.alloc(5000, 1)]);
    expect(await sniff(mp4, 7, 10)).toEqual({ kind: 'video', tooLarge: false, kept: mp4 });
    expect(await sniff(Buffer.from('abc'), 1, 10)).toEqual({
      kind: 'video',
      tooLarge: false,
      kept: Buffer.from('abc'),
    });
  });
});
