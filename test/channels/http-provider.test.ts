/**
 * The HTTP SMS provider adapter and the voice-call hook against a real HTTP server started here:
 * retries with back-off on 5xx and 429, one idempotency key for every attempt of a message, no
 * retry on a refusal.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpSmsSender, HttpVoiceCallSender } from '../../src/channels/index.js';
import { isAppError } from '../../src/platform/errors.js';

interface Seen {
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown>;
}

let server: Server | undefined;

async function provider(answers: { status: number; body?: object; headers?: Record<string, string> }[]): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)] ?? { status: 500 };
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/send`, seen };
}

afterEach(async () => {
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

const noSleep = async () => undefined;

describe('HttpSmsSender', () => {
  it('retries 503 and 429 with the same idempotency key, then returns the provider id', async () => {
    const { url, seen } = await provider([{ status: 503 }, { status: 429, headers: { 'retry-after': '0' } }, { status: 201, body: { messageId: 'prov-42' } }]);
    const sms = new HttpSmsSender({ url, token: 'secret-token', sleep: noSleep });
    await expect(sms.send({ to: '+34612345678', text: '123456 is your code', reference: 'job-1' })).resolves.toEqual({ messageId: 'prov-42' });
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.headers['idempotency-key']))).toEqual(new Set(['job-1']));
    expect(seen[0]?.headers.authorization).toBe('Bearer secret-token');
    expect(seen[0]?.body).toEqual({ to: '+34612345678', text: '123456 is your code', reference: 'job-1' });
  });

  it('does not retry a refusal, and its error holds neither the number nor the text', async () => {
    const { url, seen } = await provider([{ status: 422 }]);
    const sms = new HttpSmsSender({ url, sleep: noSleep });
    const error = await sms.send({ to: '+34612345678', text: '654321 is your code', reference: 'job-2' }).catch((e: unknown) => e);
    expect(isAppError(error) && error.code).toBe('channels.sms_rejected');
    expect(seen).toHaveLength(1);
    expect(JSON.stringify(error)).not.toMatch(/654321|34612345678/);
  });

  it('gives up after its attempts with channels.sms_unavailable, saying the provider may have the message', async () => {
    const { url, seen } = await provider([{ status: 500 }]);
    const error = await new HttpSmsSender({ url, maxAttempts: 3, sleep: noSleep }).send({ to: '+34612345678', text: 'x', reference: 'job-3' }).catch((e: unknown) => e);
    expect(isAppError(error) && error.code).toBe('channels.sms_unavailable');
    expect(isAppError(error) && error.details).toMatchObject({ maybeAccepted: true, attempts: 3 });
    expect(seen).toHaveLength(3);
  });

  it('refuses a plain-http URL that is not loopback, without repeating it', () => {
    expect(() => new HttpSmsSender({ url: 'http://sms.example.com/send?key=abc' })).toThrow(/https/);
    expect(() => new HttpSmsSender({ url: 'http://sms.example.com/send?key=abc' })).not.toThrow(/abc/);
  });
});

describe('HttpVoiceCallSender', () => {
  it('asks the hook to call and speak in the language, with an idempotency key', async () => {
    const { url, seen } = await provider([{ status: 502 }, { status: 200, body: { callId: 'call-7' } }]);
    const voice = new HttpVoiceCallSender({ url, sleep: noSleep });
    await expect(voice.call({ to: '+34612345678', text: 'Su código es 1 2 3', language: 'es', reference: 'job-4' })).resolves.toEqual({ callId: 'call-7' });
    expect(seen.map((s) => s.headers['idempotency-key'])).toEqual(['job-4', 'job-4']);
    expect(seen[1]?.body).toMatchObject({ language: 'es', to: '+34612345678' });
  });
});
