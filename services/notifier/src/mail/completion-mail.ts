import type { NotificationDraft } from '../notifications/from-event.ts';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const HEADLINE: Record<string, string> = {
  'generation.completed': 'Your clips are ready',
  'generation.partially_failed': 'Some of your clips are ready',
  'generation.failed': 'A generation failed',
  'generation.cancelled': 'A generation was cancelled',
};

/** The completion mail of a generation that ended: plain text and HTML saying the same. */
export function completionMail(draft: NotificationDraft): { subject: string; text: string; html: string } {
  const headline = HEADLINE[draft.kind] ?? 'A generation ended';
  const subject = `Reelforge: ${headline.toLowerCase()}`;
  const text = `${headline}.\n\n${draft.message}\n\nGeneration: ${draft.subjectId}\nAccount: ${draft.accountId}\n\nYou get this mail because completion e-mails are on in your notification preferences.\n`;
  const html = `<!doctype html><html><body><h1>${escapeHtml(headline)}</h1><p>${escapeHtml(draft.message)}</p><p>Generation: <code>${escapeHtml(draft.subjectId)}</code><br>Account: <code>${escapeHtml(draft.accountId)}</code></p><p><small>You get this mail because completion e-mails are on in your notification preferences.</small></p></body></html>`;
  return { subject, text, html };
}
