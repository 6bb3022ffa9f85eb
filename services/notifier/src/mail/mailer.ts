import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';

interface MailMessage {
  /** Our id of the mail: the .eml file name and the Message-ID's local part. */
  id: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Why a mail was not handed over; `permanent` (an SMTP 5xx) means trying again cannot help. */
export class MailDeliveryError extends Error {
  readonly permanent: boolean;
  constructor(message: string, permanent: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MailDeliveryError';
    this.permanent = permanent;
  }
}

export interface Mailer {
  /** Hands the mail over or throws MailDeliveryError. */
  send(message: MailMessage): Promise<void>;
  close(): void;
}

const toMail = (m: MailMessage) => ({
  from: m.from,
  to: m.to,
  subject: m.subject,
  text: m.text,
  html: m.html,
  messageId: `<${m.id}@reelforge>`,
});

/** The SMTP server's reply code, when the failure was a reply (a refused connection has none). */
function responseCodeOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('responseCode' in err)) return undefined;
  const code = err.responseCode;
  return typeof code === 'number' ? code : undefined;
}

/** Delivers over SMTP (`smtp://` or `smtps://` URL, credentials in it). */
export function smtpMailer(url: string): Mailer {
  const transport = createTransport(url);
  return {
    send: async (message) => {
      try {
        await transport.sendMail(toMail(message));
      } catch (err) {
        const code = responseCodeOf(err);
        const permanent = code !== undefined && code >= 500 && code < 600;
        throw new MailDeliveryError(err instanceof Error ? err.message : String(err), permanent, { cause: err });
      }
    },
    close: () => transport.close(),
  };
}

/** Writes each mail as `<dir>/<id>.eml` (no SMTP server configured: local development). */
export function fileMailer(dir: string): Mailer {
  const transport = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    send: async (message) => {
      try {
        const info = await transport.sendMail(toMail(message));
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, `${message.id}.eml`), info.message);
      } catch (err) {
        throw new MailDeliveryError(err instanceof Error ? err.message : String(err), false, { cause: err });
      }
    },
    close: () => transport.close(),
  };
}
