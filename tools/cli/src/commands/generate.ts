import type { ApiClient, SourceBody, StartGenerationBody } from '../api-client.ts';
import type { StartedGeneration } from '../api-types.ts';
import { flag, httpUrlArg, integerArg, optionalString, uuidArg } from '../args.ts';
import { ApiError, CliError, UnreachableError, UsageError, WorkFailedError } from '../errors.ts';
import type { CliDeps } from '../io.ts';
import { printJson } from '../output.ts';
import { watchGeneration } from '../watch-generation.ts';
import { JSON_OPTION, type Command } from './command.ts';

const usage =
  'reelforge generate --account <id> (--upload <id> | --url <source url>) [--clips N] [--type T] [--options JSON] [--watch] [--json]';
const CONTENT_TYPE = /^[a-z0-9][a-z0-9_-]*$/;
/** Tries of the start when the answer is lost or the gateway is briefly away (same Idempotency-Key each time). */
const START_TRIES = 3;

export const generateCommand: Command = {
  name: 'generate',
  summary: 'register a source and start a generation (and follow it with --watch)',
  usage,
  help: [
    'Registers the upload or URL as a source of the account (POST /accounts/:id/sources), then starts a',
    'generation of one source (POST /accounts/:id/generations, with an Idempotency-Key: a start whose',
    "answer was lost is retried and gets the same generation). A generation takes the account's oldest",
    'available sources first; the command says so when the account already had others waiting.',
    '  --clips N      clips to cut from the source (options.clipCount, 1-10; the service default is 3)',
    '  --type T       the content type (default shorts)',
    '  --options JSON further render options, e.g. \'{"width":720,"preset":"veryfast"}\'',
    '  --watch        follow the generation live until it ends: one progress line per task; exit 0 only',
    '                 when it completed, 1 when it failed, partially failed or was cancelled',
  ].join('\n'),
  options: {
    account: { type: 'string' },
    upload: { type: 'string' },
    url: { type: 'string' },
    clips: { type: 'string' },
    type: { type: 'string' },
    options: { type: 'string' },
    watch: { type: 'boolean' },
    ...JSON_OPTION,
  },
  positionals: { names: [], required: 0 },
  async run({ values }, ctx) {
    const rawAccount = optionalString(values, 'account');
    if (!rawAccount) throw new UsageError('--account is required', usage);
    const accountId = uuidArg(rawAccount, '--account', usage);
    const upload = optionalString(values, 'upload');
    const url = optionalString(values, 'url');
    if ((upload === undefined) === (url === undefined)) {
      throw new UsageError('give exactly one of --upload and --url', usage);
    }
    const source: SourceBody =
      upload !== undefined
        ? { uploadId: uuidArg(upload, '--upload', usage) }
        : { url: httpUrlArg(url!, '--url', usage).toString() };
    const type = optionalString(values, 'type') ?? 'shorts';
    if (!CONTENT_TYPE.test(type) || type.length > 64) {
      throw new UsageError(`--type must be lower-case letters, digits, - and _, got '${type}'`, usage);
    }
    const options = renderOptions(optionalString(values, 'options'));
    const clips = optionalString(values, 'clips');
    if (clips !== undefined) options.clipCount = integerArg(clips, '--clips', { min: 1, max: 10 }, usage);
    const body: StartGenerationBody = { type, count: 1, ...(Object.keys(options).length > 0 ? { options } : {}) };
    const json = flag(values, 'json');
    const { stdout, stderr } = ctx.deps;

    const client = await ctx.client();
    const waiting = (await client.listSources(accountId, 100)).items.filter((s) => s.state === 'available');
    if (waiting.length > 0) {
      stderr.write(
        `note: the account already has ${waiting.length}${waiting.length === 100 ? '+' : ''} available source(s); a generation uses the oldest first, so this one may wait for a later generation\n`,
      );
    }
    const registered = await client.registerSource(accountId, source);
    if (!json) stdout.write(`source ${registered.id} registered\n`);

    let started: StartedGeneration;
    try {
      started = await startWithRetries(client, ctx.deps, accountId, body);
    } catch (err) {
      if (err instanceof CliError) {
        stderr.write(`reelforge: the source ${registered.id} stays in the account's library for a later generation\n`);
      }
      throw err;
    }
    const { generation, shortBy } = started;
    if (json && !flag(values, 'watch')) {
      printJson(stdout, started);
      return;
    }
    if (!json) {
      const n = generation.taskIds.length;
      stdout.write(`generation ${generation.id} started: ${n} task${n === 1 ? '' : 's'} (${generation.status})\n`);
      if (shortBy > 0) stdout.write(`(${shortBy} fewer task(s) than asked: not enough available sources)\n`);
    }
    if (!flag(values, 'watch')) return;
    const result = await watchGeneration(client, ctx.deps, stdout, generation, json);
    if (result.generation.status !== 'completed') {
      throw new WorkFailedError(`generation ${generation.id} ended ${result.generation.status}`);
    }
  },
};

function renderOptions(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError('--options must be a JSON object', usage);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError('--options must be a JSON object', usage);
  }
  return { ...(parsed as Record<string, unknown>) };
}

/** Whether a failed start may be sent again with the same key: the answer was lost, or the first one is still running. */
function retryable(err: unknown): boolean {
  if (err instanceof UnreachableError) return true;
  return err instanceof ApiError && (err.status === 503 || err.status === 502 || err.code === 'CONFLICT');
}

async function startWithRetries(
  client: ApiClient,
  deps: Pick<CliDeps, 'randomId' | 'sleep' | 'stderr'>,
  accountId: string,
  body: StartGenerationBody,
): Promise<StartedGeneration> {
  const key = `reelforge-cli-${deps.randomId()}`;
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.startGeneration(accountId, body, key);
    } catch (err) {
      if (attempt >= START_TRIES || !retryable(err)) throw err;
      const why = err instanceof CliError ? err.describe() : String(err);
      deps.stderr.write(`reelforge: starting the generation: ${why}; trying again with the same Idempotency-Key\n`);
      await deps.sleep(1000 * attempt);
    }
  }
}
