import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const index = resolve(import.meta.dirname, '..', 'src', 'index.ts');

/** What a process that logs one line writes to stdout (a pipe here, as under a supervisor). */
async function logOnce(format: string, env: Record<string, string> = {}): Promise<string> {
  const script = `
    import { createLogger } from ${JSON.stringify(index)};
    const log = createLogger({ service: 'shown', ${format} });
    log.info({ taskId: 't-1', authorization: 'Bearer secret' }, 'rendered');
    log.flush?.();
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return stdout;
}

describe('log output', () => {
  it('is JSON when stdout is not a terminal (services under a supervisor, in containers)', async () => {
    const [line] = (await logOnce('')).trim().split('\n');
    expect(JSON.parse(line!)).toMatchObject({ level: 30, service: 'shown', msg: 'rendered', taskId: 't-1' });
  });

  it('is one readable line for a person when pretty, with the same fields and secrets still censored', async () => {
    const out = await logOnce("format: 'pretty'");
    // eslint-disable-next-line no-control-regex -- the colour codes are what is stripped
    const plain = out.replace(/\x1b\[[0-9;]*m/g, '').trim();
    expect(plain).toMatch(/^shown\s+INFO\s+rendered {2}.*taskId=t-1/);
    expect(plain).not.toContain('secret');
    expect(plain).not.toMatch(/^\{/);
  });
});
