import { createApiClient } from '../api-client.ts';
import { httpUrlArg, optionalString } from '../args.ts';
import { normaliseUrl, saveCredentials } from '../config.ts';
import { UsageError } from '../errors.ts';
import type { Command } from './command.ts';

const usage = 'reelforge login --url <gateway url> (--token <jwt> | --api-key <rf_…>)';
const API_KEY = /^rf_[A-Za-z0-9_-]{43}$/;
const BEARER = /^[A-Za-z0-9._~+/-]+=*$/;

export const loginCommand: Command = {
  name: 'login',
  summary: 'check a credential against the gateway and store it',
  usage,
  help: [
    'Checks the token or API key with GET /api/v1/accounts, then stores the URL and the credential in',
    '$REELFORGE_CONFIG (default ~/.config/reelforge/config.json), readable by you only (0600).',
    'Give `-` as the value to read it from standard input. REELFORGE_URL and REELFORGE_TOKEN, when',
    'set, override the stored values for every command.',
  ].join('\n'),
  options: { url: { type: 'string' }, token: { type: 'string' }, 'api-key': { type: 'string' } },
  positionals: { names: [], required: 0 },
  async run({ values }, ctx) {
    const rawUrl = optionalString(values, 'url');
    if (!rawUrl) throw new UsageError('--url is required', usage);
    const url = normaliseUrl(httpUrlArg(rawUrl, '--url', usage).toString());
    const token = optionalString(values, 'token');
    const apiKey = optionalString(values, 'api-key');
    if ((token === undefined) === (apiKey === undefined)) {
      throw new UsageError('give exactly one of --token and --api-key', usage);
    }
    const read = async (value: string) => (value === '-' ? (await ctx.deps.readStdin()).trim() : value);
    const credential = apiKey !== undefined ? await read(apiKey) : await read(token!);
    if (apiKey !== undefined && !API_KEY.test(credential)) {
      throw new UsageError('--api-key must look like rf_ followed by 43 letters, digits, - or _', usage);
    }
    if (!BEARER.test(credential)) throw new UsageError('--token is not a bearer token (a JWT)', usage);

    const accounts = await createApiClient({ url, token: credential }, ctx.deps.fetch).listAccounts();
    await saveCredentials(ctx.configPath, { url, token: credential });
    const n = accounts.items.length;
    ctx.deps.stdout.write(
      `logged in to ${url} (${n} account${n === 1 ? '' : 's'}); credentials saved to ${ctx.configPath}\n`,
    );
  },
};
