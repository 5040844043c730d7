/**
 * A contact center for the verification suites: the real app with a real SMSC (the `smpp`
 * package's server) and a real SMTP server (`smtp-server`, STARTTLS with a self-signed
 * certificate the app is told to trust), customers with a phone and an email on file, and
 * interactions created by the platform's API key.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import type { DecodedMessage, PDU } from 'smpp';
import { expect } from 'vitest';
import { createCustomer } from '../../src/customers/index.js';
import type { TestApp } from '../helpers/context.js';
import { api, type ContactCenter, contactCenter, expectStatus } from '../interactions/helpers.js';
import type { TestSmsc } from '../channels/smsc.js';

export interface ReceivedMail {
  readonly to: readonly string[];
  readonly raw: string;
  /** Whether the message came over TLS (STARTTLS done). */
  readonly secure: boolean;
}

export interface TestSmtp {
  readonly port: number;
  readonly mails: ReceivedMail[];
  close(): Promise<void>;
}

export interface TestCert {
  readonly dir: string;
  readonly key: string;
  readonly cert: string;
  readonly certFile: string;
  remove(): void;
}

/** A self-signed certificate for 127.0.0.1 (openssl, as the SMPP TLS tests make theirs). */
export function makeCert(): TestCert {
  const dir = mkdtempSync(path.join(tmpdir(), 'custodia-smtp-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=test-smtp', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  return {
    dir,
    key: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
    cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    certFile: path.join(dir, 'cert.pem'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A real SMTP server on an ephemeral port that keeps every message it receives. */
export async function startSmtp(options: { key: string; cert: string; hideStartTls?: boolean }): Promise<TestSmtp> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    key: options.key,
    cert: options.cert,
    // Hidden and refused: a server (or a stripping middlebox) that does not do TLS at all.
    hideSTARTTLS: options.hideStartTls ?? false,
    disabledCommands: options.hideStartTls === true ? ['STARTTLS'] : [],
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8'), secure: session.secure });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function smsText(pdu: PDU): string {
  const body = (pdu.message_payload ?? pdu.short_message) as DecodedMessage;
  return typeof body.message === 'string' ? body.message : body.message.toString();
}

/** The code at the start of the last SMS the SMSC received, and where it went. */
export function lastSmsCode(smsc: TestSmsc): { to: string; code: string; text: string } {
  const submit = smsc.submits().at(-1);
  if (submit === undefined) throw new Error('the SMSC received no SMS');
  const text = smsText(submit);
  const code = /^(\d{6,8}) /.exec(text)?.[1];
  if (code === undefined) throw new Error('no code at the start of the SMS');
  return { to: String(submit.destination_addr), code, text };
}

/** The code in the body of the last email the SMTP server received. */
export function lastMailCode(smtp: TestSmtp): { to: readonly string[]; code: string; mail: ReceivedMail } {
  const mail = smtp.mails.at(-1);
  if (mail === undefined) throw new Error('the SMTP server received no email');
  const body = mail.raw.slice(mail.raw.indexOf('\r\n\r\n') + 4);
  const code = /(?:^|[^0-9])([0-9]{6,8})(?:[^0-9]|$)/.exec(body)?.[1];
  if (code === undefined) throw new Error('no code in the email');
  return { to: mail.to, code, mail };
}

export const PHONE = '+34612345678';
export const EMAIL = 'lucia.cliente@example.com';

/** A contact center whose first customer has a phone and an email on file (the others only a phone). */
export async function verificationCenter(t: TestApp, slug: string): Promise<ContactCenter & { customerId: string; verifierKey: string }> {
  const cc = await contactCenter(t, slug, { ana: 'agent', bea: 'agent', sup: 'supervisor', sec: 'security_officer' }, 0);
  const customerId = await t.ctx.db.withTenant(cc.tenantId, async (tx) => {
    const created = await createCustomer(tx, { vault: t.ctx.vault }, cc.tenantId, { customerNumber: `${slug.toUpperCase()}-1`, fields: { full_name: 'Lucía Cliente', phone: PHONE, email: EMAIL } }, { type: 'system', id: 'test' }, t.clock.now());
    return created.id;
  });
  const res = await api(t, 'POST', '/v1/service-accounts/keys', { token: cc.admin.token, payload: { name: 'ivr', scopes: ['verification:write', 'interactions:write'] } });
  expectStatus(res, 201);
  return { ...cc, customers: [customerId], customerId, verifierKey: String(res.body.key) };
}

/** An interaction created by the platform, linked to the customer, active with `agentId` (or queued without). */
export async function openInteraction(t: TestApp, cc: ContactCenter, customerId: string, options: { agentId?: string; channel?: 'call' | 'chat' | 'email' } = {}): Promise<string> {
  const res = await api(t, 'POST', '/v1/interactions', {
    token: cc.platformKey,
    payload: { channel: options.channel ?? 'call', direction: 'inbound', customerId, ...(options.agentId === undefined ? {} : { assignedAgentId: options.agentId, state: 'active' }) },
  });
  expectStatus(res, 201);
  expect(res.body.verificationLevel).toBe(0);
  return String(res.body.id);
}
