/**
 * Email over SMTP against a real `smtp-server`: STARTTLS is used and verified, and a server that
 * does not offer it gets nothing while STARTTLS is required.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpEmailSender } from '../../../src/channels/index.js';
import { isAppError } from '../../../src/platform/errors.js';
import { makeCert, startSmtp, type TestCert } from '../../verification/helpers.js';

let cert: TestCert;
beforeAll(() => {
  cert = makeCert();
});
afterAll(() => cert.remove());

describe('SmtpEmailSender', () => {
  it('delivers over STARTTLS to a server whose certificate it trusts', async () => {
    const smtp = await startSmtp({ key: cert.key, cert: cert.cert });
    const sender = new SmtpEmailSender({ url: `smtp://127.0.0.1:${smtp.port}`, from: 'Custodia <no-reply@custodia.example>', ca: cert.cert });
    try {
      const sent = await sender.send({ to: 'ana@example.com', subject: 'Your code', text: 'Your code is: 482913' });
      expect(sent.messageId).toMatch(/@/);
      expect(smtp.mails).toHaveLength(1);
      expect(smtp.mails[0]).toMatchObject({ to: ['ana@example.com'], secure: true });
      expect(smtp.mails[0]?.raw).toContain('482913');
    } finally {
      await sender.close();
      await smtp.close();
    }
  });

  it('sends nothing to a server without STARTTLS while it is required, and says so without the address', async () => {
    const smtp = await startSmtp({ key: cert.key, cert: cert.cert, hideStartTls: true });
    const sender = new SmtpEmailSender({ url: `smtp://127.0.0.1:${smtp.port}`, from: 'no-reply@custodia.example', ca: cert.cert, timeoutMs: 5_000 });
    try {
      const error = await sender.send({ to: 'ana@example.com', subject: 'Your code', text: 'Your code is: 482913' }).catch((e: unknown) => e);
      expect(isAppError(error) && error.code).toBe('channels.email_unavailable');
      expect(JSON.stringify(error)).not.toMatch(/ana@example|482913/);
      expect(smtp.mails).toHaveLength(0);
    } finally {
      await sender.close();
      await smtp.close();
    }
  });

  it('refuses a server certificate it does not trust', async () => {
    const smtp = await startSmtp({ key: cert.key, cert: cert.cert });
    const sender = new SmtpEmailSender({ url: `smtp://127.0.0.1:${smtp.port}`, from: 'no-reply@custodia.example', timeoutMs: 5_000 });
    try {
      await expect(sender.send({ to: 'ana@example.com', subject: 's', text: 't' })).rejects.toMatchObject({ code: 'channels.email_unavailable' });
      expect(smtp.mails).toHaveLength(0);
    } finally {
      await sender.close();
      await smtp.close();
    }
  });
});
