import { apiClient } from './api-client.ts';
import type { Stack } from './stack.ts';
import { openWs } from './ws-client.ts';

/** A tenant with one account holding the given source URLs: what most end-to-end tests start from. */
export async function newTenant(stack: Stack, subject: string, sourceUrls: string[]) {
  const bearer = await stack.bearer(subject);
  const api = apiClient(stack.gatewayUrl, bearer);
  const account = await api.createAccount(`${subject} account`);
  for (const url of sourceUrls) await api.addSource(account.id, url);
  return { bearer, api, account };
}

/** A WebSocket subscribed to every status of one account, once the subscription is confirmed. */
export async function watchAccount(stack: Stack, bearer: string, accountId: string) {
  const ws = await openWs(stack.gatewayUrl, bearer);
  ws.send({ subscribe_account: accountId });
  await ws.waitFor('subscribed', (m) => m.type === 'subscribed' && m.id === accountId);
  return ws;
}
