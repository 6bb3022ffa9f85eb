import { join } from 'node:path';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { boundaries } from '../boundaries.js';

const repo = join(import.meta.dirname, '..', '..', '..');

/** The boundary messages for `code` as if it were the file at `path` (relative to the repo). */
function lint(path: string, code: string): string[] {
  const linter = new Linter({ configType: 'flat' });
  return linter
    .verify(
      code,
      [
        {
          files: ['**/*.ts'],
          languageOptions: { parser: tseslint.parser },
          plugins: { reelforge: { rules: { boundaries } } },
          rules: { 'reelforge/boundaries': 'error' },
        },
      ],
      { filename: join(repo, path) },
    )
    .map((m) => m.message);
}

describe('module boundaries', () => {
  it('refuses a service importing another service, by package or by path', () => {
    expect(
      lint('services/gateway/src/routes/x.ts', "import { repurposerService } from '@reelforge/repurposer';"),
    ).toEqual(['service gateway imports service repurposer: services talk over NATS, not imports']);
    expect(
      lint('services/gateway/src/routes/x.ts', "import { t } from '../../../repurposer/src/tasks/task-store.ts';"),
    ).toEqual([
      "'../../../repurposer/src/tasks/task-store.ts' reaches into service repurposer: import '@reelforge/repurposer' instead",
    ]);
    expect(lint('services/gateway/src/x.ts', "export { t } from '@reelforge/notifier';")).toHaveLength(1);
    expect(lint('services/gateway/src/x.ts', "const m = await import('@reelforge/scheduler');")).toHaveLength(1);
  });

  it('refuses a library importing a service, and reaching past a package entry point', () => {
    expect(lint('libs/messaging/src/x.ts', "import { g } from '@reelforge/gateway';")).toEqual([
      'lib messaging imports service gateway: libraries import no service',
    ]);
    expect(lint('libs/messaging/src/x.ts', "import { c } from '@reelforge/contracts/src/events.ts';")).toEqual([
      "'@reelforge/contracts/src/events.ts' reaches past @reelforge/contracts's entry point: import '@reelforge/contracts'",
    ]);
    expect(lint('libs/messaging/src/x.ts', "import { c } from '../../persistence/src/outbox.ts';")).toHaveLength(1);
  });

  it('treats a tool with a package.json (the CLI) as a package of its own', () => {
    expect(lint('tools/cli/src/x.ts', "import { g } from '../../../services/gateway/src/service.ts';")).toEqual([
      "'../../../services/gateway/src/service.ts' reaches into service gateway: import '@reelforge/gateway' instead",
    ]);
    expect(lint('tools/cli/src/x.ts', "import { gatewayService } from '@reelforge/gateway';")).toEqual([
      "tool cli imports service gateway: tools speak to the services' APIs",
    ]);
    expect(lint('services/gateway/src/x.ts', "import { run } from '../../../tools/cli/src/run.ts';")).toHaveLength(1);
    expect(lint('tools/cli/test/x.test.ts', "import { gatewayService } from '@reelforge/gateway';")).toEqual([]);
    expect(lint('tools/cli/src/x.ts', "import { uuidv7 } from '@reelforge/contracts';")).toEqual([]);
  });

  it('keeps the test-only libraries out of service and library code', () => {
    expect(lint('services/repurposer/src/x.ts', "import { eventually } from '@reelforge/testing';")).toEqual([
      'service repurposer imports testing, which is for tests, benchmarks and the local stack only',
    ]);
    expect(lint('libs/persistence/src/x.ts', "import { startPostgres } from '@reelforge/local-infra';")).toHaveLength(
      1,
    );
  });

  it('allows what the rules allow', () => {
    const allowed: [string, string][] = [
      ['services/gateway/src/routes/x.ts', "import { STREAMS } from '@reelforge/contracts';"],
      ['services/gateway/src/routes/x.ts', "import { f } from '../http/forward.ts';"],
      ['services/gateway/test/x.test.ts', "import { eventually } from '@reelforge/testing';"],
      // End-to-end tests start other services through their entry points.
      ['services/gateway/test/support/stack.ts', "import { repurposerService } from '@reelforge/repurposer';"],
      ['services/gateway/test/e2e/x.test.ts', "import { createTaskStore } from '@reelforge/repurposer/testing';"],
      ['deploy/local/stack.ts', "import { startNats } from '@reelforge/local-infra';"],
      ['libs/testing/src/x.ts', "import { startNats } from '@reelforge/local-infra';"],
      ['bench/x.bench.ts', "import { gatewayService } from '@reelforge/gateway';"],
      ['services/gateway/src/x.ts', "import { join } from 'node:path';"],
    ];
    for (const [path, code] of allowed) expect(lint(path, code), `${path}: ${code}`).toEqual([]);
  });

  it('is on in the repository lint config, which fails a wrong import in real service code', async () => {
    const eslint = new ESLint({ cwd: repo });
    const [result] = await eslint.lintText(
      "import { repurposerService } from '@reelforge/repurposer';\nexport const wrong = repurposerService.name;\n",
      { filePath: join(repo, 'services/gateway/src/main.ts') },
    );
    expect(result?.messages.map((m) => `${m.ruleId ?? ''}: ${m.message}`)).toContain(
      'reelforge/boundaries: service gateway imports service repurposer: services talk over NATS, not imports',
    );
  }, 120_000);
});
