import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { rejected, retryable } from './outcome';

const addressPattern = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The notification id: the Message-ID, so mail systems and partners can drop a duplicate. */
  notificationId: string;
}

export interface MailSettings {
  smtpUrl?: string;
  from: string;
  /** Development without SMTP: written as .eml files here. */
  dir?: string;
  timeoutMs: number;
}

const transports = new Map<string, Transporter>();
function transportFor(s: MailSettings): Transporter {
  const key = `${s.smtpUrl ?? `dir:${s.dir}`}|${s.timeoutMs}`;
  let t = transports.get(key);
  if (!t) {
    t = s.smtpUrl
      ? nodemailer.createTransport({ url: s.smtpUrl, connectionTimeout: s.timeoutMs * 2, greetingTimeout: s.timeoutMs * 2, socketTimeout: s.timeoutMs * 2 } as SMTPTransport.Options)
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    transports.set(key, t);
  }
  return t;
}

/**
 * The email channel, over SMTP with nodemailer. SMTP 5xx and malformed addresses are final; 4xx replies
 * and connection troubles are retried.
 */
export async function sendEmail(s: MailSettings, mail: Mail): Promise<void> {
  if (!s.smtpUrl && !s.dir) throw rejected('no SMTP server is configured (SMTP_URL)');
  if (!addressPattern.test(mail.to)) throw rejected('the email address is not valid');
  const message = {
    from: s.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: `<${mail.notificationId}@stationflow>`,
    headers: { 'X-Stationflow-Notification': mail.notificationId },
  };
  let info: { message?: Buffer | unknown };
  try {
    info = await transportFor(s).sendMail(message);
  } catch (err) {
    throw smtpFailure(err as Error & { responseCode?: number; code?: string });
  }
  if (!s.smtpUrl && s.dir) {
    await fs.mkdir(s.dir, { recursive: true });
    await fs.writeFile(path.join(s.dir, `${mail.notificationId}.eml`), info.message as Buffer);
  }
}

function smtpFailure(err: Error & { responseCode?: number; code?: string }) {
  const code = err.responseCode;
  if (code !== undefined && code >= 500) return rejected(`the mail server refused the message (SMTP ${code})`);
  if (code !== undefined && code >= 400) return retryable(`the mail server deferred the message (SMTP ${code})`);
  if (err.code === 'EENVELOPE') return rejected('the mail server refused the address');
  return retryable(`the mail server could not be reached (${err.code ?? err.name})`);
}
