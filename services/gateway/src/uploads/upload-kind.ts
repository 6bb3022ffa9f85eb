import { Transform } from 'node:stream';

/** What an upload is: a source video, or a still image (a logo). */
export type UploadKind = 'video' | 'image';

const HEAD_BYTES = 12;

/**
 * PNG, JPEG and WebP announce themselves in their first 12 bytes. Only the kind (and so the size
 * limit and the probe) is chosen from them; ffprobe still decides whether the file is acceptable.
 */
function kindOf(head: Buffer): UploadKind {
  const png = head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const jpeg = head.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]));
  const webp = head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP';
  return png || jpeg || webp ? 'image' : 'video';
}

export interface KindSniffer extends Transform {
  /** The kind read from the first bytes (valid once the stream has ended). */
  kind(): UploadKind;
  /** An image went over `maxImageBytes`: the bytes past it were read but not kept. */
  imageTooLarge(): boolean;
}

/**
 * Passes an upload through, telling its kind from its first bytes. An image is cut at
 * `maxImageBytes` (a logo needs no more; a video's limit is far larger): the rest is read and
 * dropped rather than failing the stream, so the client still gets a clean 413, not a reset.
 */
export function kindSniffer(maxImageBytes: number): KindSniffer {
  let head = Buffer.alloc(0);
  let kind: UploadKind | undefined;
  let held: Buffer[] = [];
  let passed = 0;
  let tooLarge = false;

  const decide = (t: Transform) => {
    kind = kindOf(head);
    for (const chunk of held) forward(t, chunk);
    held = [];
  };
  const forward = (t: Transform, chunk: Buffer) => {
    if (tooLarge || (kind === 'image' && passed + chunk.length > maxImageBytes)) {
      tooLarge = true;
      return;
    }
    passed += chunk.length;
    t.push(chunk);
  };

  const sniffer = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (kind === undefined) {
        head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
        held.push(chunk);
        if (head.length >= HEAD_BYTES) decide(this);
      } else {
        forward(this, chunk);
      }
      done();
    },
    flush(done) {
      if (kind === undefined) decide(this); // a file shorter than the head
      done();
    },
  }) as KindSniffer;
  sniffer.kind = () => kind ?? 'video';
  sniffer.imageTooLarge = () => tooLarge;
  return sniffer;
}
