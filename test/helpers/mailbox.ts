import type { AddressInfo } from 'node:net';
import { type AddressObject, type Headers, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server on 127.0.0.1 that records every message it accepts, for the email channel tests.
 * No TLS (STARTTLS is not offered), no authentication needed (any offered is accepted).
 */

export interface MailMessage {
  /** The From header as written, e.g. `stationflow <noreply@stationflow.local>` (else the envelope sender). */
  from: string;
  /** The envelope recipients accepted (RCPT TO), as the client gave them. */
  to: string[];
  subject: string;
  text: string;
  /** '' when the message has no HTML part. */
  html: string;
  /** Parsed headers, lower-case names (mailparser's Map). */
  headers: Headers;
  messageId: string;
  /** The message as received (RFC 5322 source). */
  raw: string;
  envelope: { from: string; to: string[] };
}

export interface Mailbox {
  /** `smtp://127.0.0.1:<port>`: pass to `nodemailer.createTransport()` or use as SMTP_URL. */
  readonly url: string;
  readonly port: number;
  /** Every accepted message, in order. */
  readonly messages: MailMessage[];
  /** RCPT TO for this address (case-insensitive) fails: 550 permanently by default, 4xx (e.g. 451) temporarily. */
  reject(address: string, code?: number, message?: string): void;
  /** The next n messages fail at the end of DATA with this code (451 by default); nothing is recorded. */
  failNext(n: number, code?: number, message?: string): void;
  /** Resolves with the messages once at least n are recorded; rejects after timeoutMs. */
  waitFor(n: number, timeoutMs?: number): Promise<MailMessage[]>;
  /** Forgets messages, rejections and pending failures. */
  reset(): void;
  close(): Promise<void>;
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

/** `name <address>` (unquoted) or `address`, comma-separated. */
const addressText = (a: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(a) ? a : a ? [a] : [])
    .flatMap((o) => o.value)
    .map((x) => (x.name ? `${x.name} <${x.address ?? ''}>` : (x.address ?? '')))
    .join(', ');

export async function startMailbox(): Promise<Mailbox> {
  const messages: MailMessage[] = [];
  const rejected = new Map<string, { code: number; message: string }>();
  const failures: { code: number; message: string }[] = [];
  const waiters = new Set<() => void>();

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    onAuth: (_auth, _session, callback) => callback(null, { user: 'test' }),
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 200,
    onRcptTo(address, _session, callback) {
      const rule = rejected.get(address.address.toLowerCase());
      callback(rule ? smtpError(rule.code, rule.message) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const failure = failures.shift();
        if (failure) return callback(smtpError(failure.code, failure.message));
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((mail) => {
            const envelope = {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
            };
            messages.push({
              from: addressText(mail.from) || envelope.from,
              to: envelope.to,
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              html: mail.html || '',
              headers: mail.headers,
              messageId: mail.messageId ?? '',
              raw: raw.toString('utf8'),
              envelope,
            });
            callback();
            waiters.forEach((w) => w());
          })
          .catch((err: Error) => callback(smtpError(554, `could not parse the message: ${err.message}`)));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;

  const mailbox: Mailbox = {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    reject(address, code = 550, message = code >= 500 ? 'Mailbox unavailable' : 'Mailbox temporarily unavailable, try again later') {
      rejected.set(address.toLowerCase(), { code, message });
    },
    failNext(n, code = 451, message = code >= 500 ? 'Message rejected' : 'Local error in processing, try again later') {
      for (let i = 0; i < n; i++) failures.push({ code, message });
    },
    waitFor: (n, timeoutMs = 10_000) =>
      new Promise<MailMessage[]>((resolve, reject) => {
        const done = () => {
          if (messages.length < n) return;
          clearTimeout(timer);
          waiters.delete(done);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          waiters.delete(done);
          reject(new Error(`mailbox: ${messages.length} of ${n} messages within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(done);
        done();
      }),
    reset() {
      messages.length = 0;
      rejected.clear();
      failures.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return mailbox;
}
