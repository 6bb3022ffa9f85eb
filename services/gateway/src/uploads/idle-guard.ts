import { Transform } from 'node:stream';
import { DomainError } from '@reelforge/contracts';

/**
 * Passes an upload's bytes through and fails the stream when none arrive for `idleMs`: a client that
 * stops sending mid-body would otherwise hold the request, its socket and a partial file until the
 * whole-request deadline.
 */
export function idleGuard(idleMs: number): Transform {
  let timer: NodeJS.Timeout | undefined;
  const guard: Transform = new Transform({
    transform: (chunk: Buffer, _enc, done) => {
      arm();
      done(null, chunk);
    },
    flush: (done) => {
      clearTimeout(timer);
      done();
    },
    destroy: (err, done) => {
      clearTimeout(timer);
      done(err);
    },
  });
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () =>
        guard.destroy(
          new DomainError('REQUEST_TIMEOUT', `the upload stopped: no data for ${Math.round(idleMs / 1000)} s`),
        ),
      idleMs,
    );
  };
  arm();
  return guard;
}
