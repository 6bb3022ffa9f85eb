import { DEFAULT_FONT_FAMILY } from '@reelforge/contracts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import {
  ensureFontFamily,
  ensureTool,
  startEmbeddedPostgres,
  startNatsServer,
  startTestInfra,
  TOOLS,
} from '@reelforge/local-infra';

declare module 'vitest' {
  export interface ProvidedContext {
    natsUrl: string;
    databaseUrl: string;
    ffmpegPath: string;
    ffprobePath: string;
    espeakPath: string;
    ytDlpPath: string;
  }
}

/**
 * Starts, once per test run, a private nats-server and PostgreSQL on free ports (or uses NATS_URL /
 * DATABASE_URL when given), so tests never depend on, or collide with, what runs on the machine.
 * `natsUrl` embeds a user and password (nats://user:pass@127.0.0.1:port): connect with
 * `openNats(inject('natsUrl'))` from @reelforge/messaging, not with nats.js `connect` directly.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stderr.write(`[test-infra] ${line}\n`);
  const ffmpegPath = ensureTool(TOOLS.ffmpeg, log);
  const ffprobePath = ensureTool(TOOLS.ffprobe, log);
  const espeakPath = ensureTool(TOOLS.espeakNg, log);
  // Video-platform links: the repurposer's tests resolve a local stand-in page with it.
  const ytDlpPath = ensureTool(TOOLS.ytDlp, log);
  ensureFontFamily(DEFAULT_FONT_FAMILY, log);
  const root = mkdtempSync(join(tmpdir(), 'reelforge-test-'));
  // Authorization on, as in production: the URL carries the credentials (connectNats and openNats
  // apply them), so a client that forgets them fails here too. A given NATS_URL is used as is.
  // A failed step stops what the earlier ones started (startTestInfra), and the temp dir goes too.
  const infra = await startTestInfra(
    {
      nats: () => startNatsServer({ storeDir: join(root, 'nats'), auth: {}, log }),
      postgres: () => startEmbeddedPostgres({ dataDir: join(root, 'pg'), database: 'reelforge_test', log }),
    },
    { natsUrl: process.env.NATS_URL, databaseUrl: process.env.DATABASE_URL },
  ).catch((err: unknown) => {
    rmSync(root, { recursive: true, force: true });
    throw err;
  });
  const { natsUrl, databaseUrl } = infra;
  project.provide('natsUrl', natsUrl);
  project.provide('databaseUrl', databaseUrl);
  project.provide('ffmpegPath', ffmpegPath);
  project.provide('ffprobePath', ffprobePath);
  project.provide('espeakPath', espeakPath);
  project.provide('ytDlpPath', ytDlpPath);
  return async () => {
    await infra.stop();
    rmSync(root, { recursive: true, force: true });
  };
}
