/**
 * Email over SMTP with nodemailer. STARTTLS is required by default: a server (or a network in
 * between) that does not offer it gets no message, instead of the message in clear. `optional`
 * exists for a relay on the same host; `smtps://` uses TLS from the first byte. Certificates are
 * verified (against Node's CAs, or `ca` for a private relay), TLS 1.2 at least.
 *
 * Nothing here logs the address or the text; errors carry a reason and the SMTP reply code.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { AppError } from '../../platform/errors.js';
import { referenceDetails } from '../sms/sender.js';
import { EmailErrors } from './errors.js';
import { parseSmtpUrl } from './smtp-url.js';

export interface EmailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** The caller's id of this message (a job id), for error details; never sent. */
  readonly reference?: string;
}

export interface EmailSender {
  /** Resolves once the server accepted the message for delivery. */
  send(message: EmailMessage): Promise<{ readonly messageId: string }>;
  close(): Promise<void>;
}

export type StartTlsPolicy = 'required' | 'optional';

export interface SmtpSenderConfig {
  /** `smtp://` or `smtps://` (smtp-url.ts). */
  readonly url: string;
  /** The From address (`Custodia <no-reply@example.com>`). */
  readonly from: string;
  /** For `smtp://`: refuse to send without STARTTLS (default) or use it when offered. */
  readonly starttls?: StartTlsPolicy;
  /** CAs to trust instead of Node's (a private relay's own CA), PEM. */
  readonly ca?: string | Buffer | undefined;
  /** Connect, greeting and each command (default 10 s). */
  readonly timeoutMs?: number;
}

// A practical subset of RFC 5321 mailboxes: what a customer record holds after normalisation.
const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function isEmailAddress(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 254 && ADDRESS.test(value);
}

/** nodemailer error codes after which the server may already hold the message. */
const MAYBE_ACCEPTED_COMMANDS = new Set(['DATA', 'MESSAGE']);

export class SmtpEmailSender implements EmailSender {
  readonly #transport: Transporter<SMTPTransport.SentMessageInfo>;
  readonly #from: string;

  constructor(config: SmtpSenderConfig) {
    const url = parseSmtpUrl(config.url);
    const starttls = config.starttls ?? 'required';
    const timeout = config.timeoutMs ?? 10_000;
    this.#from = config.from;
    this.#transport = nodemailer.createTransport({
      host: url.host,
      port: url.port,
      secure: url.implicitTls,
      requireTLS: !url.implicitTls && starttls === 'required',
      ...(url.user === undefined ? {} : { auth: { user: url.user, pass: url.password ?? '' } }),
      tls: { minVersion: 'TLSv1.2', rejectUnauthorized: true, ...(config.ca === undefined ? {} : { ca: config.ca }) },
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      // One connection kept for a burst of codes; a second one when they queue up.
      pool: true,
      maxConnections: 2,
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
      debug: false,
    });
  }

  async send(message: EmailMessage): Promise<{ messageId: string }> {
    const details = referenceDetails(message.reference);
    if (!isEmailAddress(message.to)) throw new AppError(EmailErrors.invalid_email, { details });
    if (typeof message.text !== 'string' || message.text.length === 0) throw new TypeError('email text must be a non-empty string');
    try {
      const info = await this.#transport.sendMail({ from: this.#from, to: message.to, subject: message.subject, text: message.text, disableFileAccess: true, disableUrlAccess: true });
      return { messageId: info.messageId };
    } catch (error) {
      const e = error as { code?: unknown; responseCode?: unknown; command?: unknown };
      const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
      const command = typeof e.command === 'string' ? e.command : undefined;
      const code = typeof e.code === 'string' ? e.code : 'unknown';
      // No TLS where it is required: the server's (or the network's) fault, not the message's.
      if (command === 'STARTTLS' || code === 'ETLS') {
        throw new AppError(EmailErrors.email_unavailable, { detail: 'The mail server did not start TLS, which is required', details: { reason: 'tls_required', maybeAccepted: false, ...details } });
      }
      // 5xx after a command: the server refused this message (or its recipient) for good.
      if (responseCode !== undefined && responseCode >= 500 && code !== 'EAUTH') {
        throw new AppError(EmailErrors.email_rejected, { details: { smtpCode: responseCode, ...details } });
      }
      const maybeAccepted = command !== undefined && MAYBE_ACCEPTED_COMMANDS.has(command) && responseCode === undefined;
      throw new AppError(EmailErrors.email_unavailable, { details: { reason: code.toLowerCase(), maybeAccepted, ...(responseCode === undefined ? {} : { smtpCode: responseCode }), ...details } });
    }
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}
