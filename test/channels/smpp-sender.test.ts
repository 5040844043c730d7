/**
 * SmppSmsSender against a real SMPP server (the `smpp` package's own, in this process, on an
 * ephemeral port): what arrives in the submit_sm, how failures surface, reconnection, back-off,
 * throttling on a fake clock, delivery receipts, TLS, and parseSmppUrl.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import smpp, { type DecodedMessage, type PDU } from 'smpp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChannelErrors, parseSmppUrl, SmppSmsSender, type DeliveryReceipt, type SmppSmsSenderConfig } from '../../src/channels/index.js';
import { AppError, isAppError } from '../../src/platform/errors.js';
import { createLogger } from '../../src/platform/logger.js';
import { manualTime, startSmsc, type TestSmsc } from './smsc.js';

const SYSTEM_ID = 'custodia';
const PASSWORD = 'pw%Kx9@q';
const DESTINATION = '+34600123456';
const OTP_TEXT = 'Your Custodia code is 493817';

/** Every log line any sender wrote, checked at the end for what must never be logged. */
const logLines: string[] = [];
const logger = createLogger('debug', { write: (line: string) => logLines.push(line) });

let smsc: TestSmsc;
const senders: SmppSmsSender[] = [];

function sender(overrides: Partial<SmppSmsSenderConfig> = {}): SmppSmsSender {
  const s = new SmppSmsSender({ host: '127.0.0.1', port: smsc.port, systemId: SYSTEM_ID, password: PASSWORD, sourceAddr: 'Custodia', logger, ...overrides });
  senders.push(s);
  return s;
}

/** The text of a short_message or message_payload as the SMSC decoded it. */
function textOf(body: PDU['short_message']): string {
  const message = (body as DecodedMessage).message;
  return typeof message === 'string' ? message : message.toString();
}

/** The rejection of `promise`, which must be an AppError. */
async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${inspect(error)}`);
  return error;
}

/** Everything an error can show: message, detail, details, headers, cause chain, stack. */
function everything(error: unknown): string {
  return `${inspect(error, { depth: 10, showHidden: true })} ${JSON.stringify(error)} ${String(error)}`;
}

afterEach(async () => {
  await Promise.all(senders.splice(0).map((s) => s.close()));
  await smsc?.close();
});

afterAll(() => {
  // No log line, from any test above, ever carried a password, message text or destination.
  expect(logLines.length).toBeGreaterThan(0);
  const all = logLines.join('\n');
  for (const secret of [PASSWORD, OTP_TEXT, '493817', DESTINATION, DESTINATION.slice(1), 'Código']) expect(all).not.toContain(secret);
});

describe('SmppSmsSender: what the SMSC receives', () => {
  it('binds as a 3.4 transmitter once and submits GSM text to the international destination from an alphanumeric source', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    const sms = sender();
    const first = await sms.send({ to: DESTINATION, text: OTP_TEXT });
    const second = await sms.send({ to: '+5511987654321', text: 'Brackets {ok} and € sign' });

    expect(first.messageId).toBe('msg-1');
    expect(second.messageId).toBe('msg-2');
    // One connection, one bind, kept for both messages.
    expect(smsc.connections).toBe(1);
    expect(smsc.binds().map((b) => [b.command, b.system_id, b.interface_version])).toEqual([['bind_transmitter', SYSTEM_ID, 0x34]]);

    const [a, b] = smsc.submits();
    expect(a).toMatchObject({ destination_addr: '34600123456', dest_addr_ton: 1, dest_addr_npi: 1 });
    expect(a).toMatchObject({ source_addr: 'Custodia', source_addr_ton: 5, source_addr_npi: 0 });
    expect(a).toMatchObject({ data_coding: 0x00, registered_delivery: 0x01 });
    expect(textOf(a?.short_message)).toBe(OTP_TEXT);
    // GSM extension characters ({, }, €) still fit the GSM alphabet.
    expect(b).toMatchObject({ destination_addr: '5511987654321', data_coding: 0x00 });
    expect(textOf(b?.short_message)).toBe('Brackets {ok} and € sign');
  });

  it('sends text outside the GSM alphabet as UCS-2', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    await sender().send({ to: DESTINATION, text: 'Código: 123456 — ñ' });
    const [submit] = smsc.submits();
    expect(submit?.data_coding).toBe(0x08);
    expect(textOf(submit?.short_message)).toBe('Código: 123456 — ñ');
  });

  it('puts a text longer than one SMS in message_payload, and does not ask for receipts when told not to', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    const long = 'Your code is 493817. '.repeat(10).trim();
    expect(long.length).toBeGreaterThan(160);
    await sender({ requestDeliveryReceipts: false }).send({ to: DESTINATION, text: long });
    const [submit] = smsc.submits();
    expect(textOf(submit?.message_payload)).toBe(long);
    expect(submit?.registered_delivery).toBe(0);
  });

  it('sends a numeric source as an international number (TON 1, NPI 1) without its +', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    await sender({ sourceAddr: '+15550001111', systemType: 'OTP' }).send({ to: DESTINATION, text: 'hi' });
    expect(smsc.binds()[0]?.system_type).toBe('OTP');
    expect(smsc.submits()[0]).toMatchObject({ source_addr: '15550001111', source_addr_ton: 1, source_addr_npi: 1 });
  });

  it('refuses a text longer than ten SMS parts with channels.sms_too_long, before connecting', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    const error = await failure(sender().send({ to: DESTINATION, text: 'x'.repeat(1531), reference: 'job-7' }));
    expect(error.code).toBe(ChannelErrors.sms_too_long.code);
    expect(error.details).toEqual({ reference: 'job-7' });
    expect(smsc.connections).toBe(0);
  });
});

describe('SmppSmsSender: destination validation', () => {
  it.each([
    ['without +', '34600123456'],
    ['with a leading 0 country code', '+034600123456'],
    ['too short (7 digits)', '+3460012'],
    ['too long (16 digits)', '+3460012345678901'],
    ['with spaces', '+34 600 123 456'],
    ['with letters', '+34600ABC456'],
    ['empty', ''],
  ])('refuses a destination %s without any network traffic', async (_name, to) => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    const error = await failure(sender().send({ to, text: OTP_TEXT }));
    expect(error.code).toBe('channels.invalid_destination');
    expect(error.status).toBe(400);
    if (to !== '') expect(everything(error)).not.toContain(to);
    expect(smsc.connections).toBe(0);
    expect(smsc.pdus).toEqual([]);
  });

  it('accepts the shortest and longest E.164 numbers', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    const sms = sender();
    await sms.send({ to: '+12345678', text: 'a' });
    await sms.send({ to: '+123456789012345', text: 'b' });
    expect(smsc.submits().map((p) => p.destination_addr)).toEqual(['12345678', '123456789012345']);
  });
});

describe('SmppSmsSender: failures', () => {
  it('reports a wrong password as channels.sms_bind_failed with the SMPP status, never the password', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    const wrong = 'Wr0ng!pw';
    const sms = sender({ password: wrong });
    const error = await failure(sms.send({ to: DESTINATION, text: OTP_TEXT, reference: 'job-1' }));
    expect(error.code).toBe('channels.sms_bind_failed');
    expect(error.message).toMatch(/refused the bind \(ESME_RINVPASWD\)/);
    expect(error.details).toEqual({ smppStatus: 'ESME_RINVPASWD', reference: 'job-1' });
    // The SMSC did receive the (wrong) password: it is the one place it may go.
    expect(smsc.binds()[0]?.password).toBe(wrong);
    for (const secret of [wrong, PASSWORD, OTP_TEXT, DESTINATION]) expect(everything(error)).not.toContain(secret);
    // Nor does the sender itself show it when inspected or serialized.
    expect(inspect(sms, { depth: 10, showHidden: true })).not.toContain(wrong);
    expect(JSON.stringify(sms)).not.toContain(wrong);
    expect(smsc.submits()).toEqual([]);
  });

  it.each([
    ['ESME_RINVDSTADR', 0x0b, false],
    ['ESME_RTHROTTLED', 0x58, true],
  ])('turns a submit_sm_resp with %s into channels.sms_rejected', async (name, status, retryable) => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    smsc.answer = () => ({ status });
    const error = await failure(sender().send({ to: DESTINATION, text: OTP_TEXT, reference: 'job-2' }));
    expect(error.code).toBe(ChannelErrors.sms_rejected.code);
    expect(error.status).toBe(502);
    expect(error.details).toEqual({ smppStatus: name, commandStatus: status, retryable, reference: 'job-2' });
    for (const secret of [OTP_TEXT, '493817', DESTINATION, PASSWORD]) expect(everything(error)).not.toContain(secret);
  });

  it('reports an unreachable SMSC as channels.sms_unavailable', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    const port = await closedPort();
    const error = await failure(sender({ port }).send({ to: DESTINATION, text: OTP_TEXT }));
    expect(error.code).toBe('channels.sms_unavailable');
    expect(error.details).toEqual({ reason: 'connect_failed', errno: 'ECONNREFUSED' });
  });

  it('times out a submit_sm the SMSC never answers as channels.sms_unavailable, then reconnects', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    smsc.answer = (_pdu, index) => (index === 0 ? { silent: true } : { accept: true });
    const sms = sender({ submitTimeoutMs: 500 });
    const error = await failure(sms.send({ to: DESTINATION, text: OTP_TEXT }));
    expect(error.code).toBe('channels.sms_unavailable');
    expect(error.details).toEqual({ reason: 'submit_timeout' });
    // The silent session was dropped; the next message goes over a new one.
    await expect(sms.send({ to: DESTINATION, text: 'again' })).resolves.toEqual({ messageId: 'msg-2' });
    expect(smsc.connections).toBe(2);
  });

  it('times out a bind the SMSC never answers', async () => {
    // A TCP server that accepts and says nothing: not an SMSC at all.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    try {
      const error = await failure(sender({ port: (silent.address() as AddressInfo).port, bindTimeoutMs: 200 }).send({ to: DESTINATION, text: OTP_TEXT }));
      expect(error.code).toBe('channels.sms_unavailable');
      expect(error.details).toEqual({ reason: 'bind_timeout' });
    } finally {
      silent.close();
    }
  });

  it('fails a submission in flight when the connection drops, with an unknown outcome', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    smsc.answer = () => ({ drop: true });
    const error = await failure(sender().send({ to: DESTINATION, text: OTP_TEXT, reference: 'job-3' }));
    expect(error.code).toBe('channels.sms_unavailable');
    expect(error.details).toEqual({ reason: 'connection_lost', reference: 'job-3' });
    expect(error.message).toMatch(/may or may not have been accepted/);
  });

  it('refuses to send after close()', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    const sms = sender();
    await sms.send({ to: DESTINATION, text: 'one' });
    await sms.close();
    const error = await failure(sms.send({ to: DESTINATION, text: 'two' }));
    expect(error.details).toEqual({ reason: 'closed' });
    // close() unbound politely.
    expect(smsc.pdus.map((p) => p.command)).toContain('unbind');
    expect(smsc.submits()).toHaveLength(1);
  });
});

describe('SmppSmsSender: reconnection and back-off', () => {
  it('reconnects on the next send after the SMSC closed the connection', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    const sms = sender();
    await sms.send({ to: DESTINATION, text: 'before' });
    const closedLines = () => logLines.filter((l) => l.includes('smpp session closed')).length;
    const before = closedLines();
    smsc.dropAll();
    // The sender has seen the connection go (it logs it) before the next send.
    await vi.waitFor(() => expect(closedLines()).toBe(before + 1));

    await expect(sms.send({ to: DESTINATION, text: 'after' })).resolves.toEqual({ messageId: 'msg-2' });
    expect(smsc.connections).toBe(2);
    expect(smsc.binds()).toHaveLength(2);
    expect(smsc.submits().map((p) => textOf(p.short_message))).toEqual(['before', 'after']);
  });

  it('waits an exponentially growing back-off between failed attempts, without touching the network meanwhile', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    const time = manualTime();
    const sms = sender({ password: 'wrong', clock: time.clock, reconnectBaseMs: 1_000, reconnectMaxMs: 3_000 });
    const attempt = () => failure(sms.send({ to: DESTINATION, text: OTP_TEXT }));

    expect((await attempt()).code).toBe('channels.sms_bind_failed');
    const held = await attempt();
    expect(held.code).toBe('channels.sms_unavailable');
    expect(held.details).toEqual({ reason: 'backing_off', retryAfterMs: 1_000 });
    expect(held.headers).toEqual({ 'Retry-After': '1' });
    expect(smsc.connections).toBe(1);

    time.advance(999);
    expect((await attempt()).details).toEqual({ reason: 'backing_off', retryAfterMs: 1 });
    time.advance(1);
    expect((await attempt()).code).toBe('channels.sms_bind_failed');
    expect((await attempt()).details).toMatchObject({ retryAfterMs: 2_000 });
    time.advance(2_000);
    expect((await attempt()).code).toBe('channels.sms_bind_failed');
    // Bounded by reconnectMaxMs (4 s would be next).
    expect((await attempt()).details).toMatchObject({ retryAfterMs: 3_000 });
    expect(smsc.connections).toBe(3);
  });

  it('reopens a lost healthy session at once, and starts the back-off afresh after a success', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    const time = manualTime();
    const sms = sender({ clock: time.clock, reconnectBaseMs: 1_000 });
    const closedLines = () => logLines.filter((l) => l.includes('smpp session closed')).length;
    const dropAndWait = async () => {
      const before = closedLines();
      smsc.dropAll();
      await vi.waitFor(() => expect(closedLines()).toBe(before + 1));
    };

    // Two failed binds in a row: the back-off has grown to 2 s.
    smsc.refuseBinds = true;
    expect((await failure(sms.send({ to: DESTINATION, text: 'a' }))).details).toEqual({ smppStatus: 'ESME_RBINDFAIL' });
    time.advance(1_000);
    expect((await failure(sms.send({ to: DESTINATION, text: 'b' }))).code).toBe('channels.sms_bind_failed');
    expect((await failure(sms.send({ to: DESTINATION, text: 'c' }))).details).toMatchObject({ retryAfterMs: 2_000 });

    // The SMSC recovers; after the wait a bind succeeds.
    smsc.refuseBinds = false;
    time.advance(2_000);
    await expect(sms.send({ to: DESTINATION, text: 'd' })).resolves.toEqual({ messageId: 'msg-1' });

    // A bound session that goes away is reopened by the very next send: no wait.
    await dropAndWait();
    await expect(sms.send({ to: DESTINATION, text: 'e' })).resolves.toEqual({ messageId: 'msg-2' });

    // And the count of failures started over: one failure waits the base delay, not 4 s.
    await dropAndWait();
    smsc.refuseBinds = true;
    expect((await failure(sms.send({ to: DESTINATION, text: 'f' }))).code).toBe('channels.sms_bind_failed');
    expect((await failure(sms.send({ to: DESTINATION, text: 'g' }))).details).toMatchObject({ retryAfterMs: 1_000 });
    expect(smsc.connections).toBe(5);
  });
});

describe('SmppSmsSender: throttle', () => {
  it('submits at most maxPerSecond messages per second, in the order they were sent', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    const time = manualTime();
    let window = 0;
    const windows: number[] = [];
    smsc.answer = () => {
      windows.push(window);
      return { accept: true };
    };
    const sms = sender({ maxPerSecond: 4, clock: time.clock, sleep: time.sleep });
    const total = 10;
    let settled = 0;
    const sends = Array.from({ length: total }, (_, i) =>
      sms.send({ to: DESTINATION, text: `message ${i}` }).finally(() => {
        settled += 1;
      }),
    );
    // Every send is either answered or parked by the throttle: nothing is still on its way.
    const quiet = () => vi.waitFor(() => expect(settled + time.parked()).toBe(total));

    await quiet();
    expect(smsc.submits()).toHaveLength(4);
    // Four wait for the second second, two for the third.
    expect(time.parkedFor()).toEqual([1_000, 1_000, 1_000, 1_000, 2_000, 2_000]);

    window = 1;
    time.advance(1_000);
    await quiet();
    expect(smsc.submits()).toHaveLength(8);

    window = 2;
    time.advance(1_000);
    await quiet();
    await Promise.all(sends);

    expect(windows).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
    expect(smsc.submits().map((p) => textOf(p.short_message))).toEqual(Array.from({ length: total }, (_, i) => `message ${i}`));
    expect(smsc.connections).toBe(1);
  });
});

describe('SmppSmsSender: delivery receipts', () => {
  it('binds as a transceiver, answers each deliver_sm and hands receipts to onDeliveryReceipt without the text', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    smsc.afterAccept = (session, _pdu, messageId) => {
      session.deliver_sm({
        source_addr: '34600123456',
        destination_addr: 'Custodia',
        esm_class: 0x04,
        short_message: `id:${messageId} sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD err:000 text:${OTP_TEXT.slice(0, 20)}`,
      });
    };
    const receipts: DeliveryReceipt[] = [];
    const sms = sender({ onDeliveryReceipt: (r) => void receipts.push(r) });
    const { messageId } = await sms.send({ to: DESTINATION, text: OTP_TEXT });

    await vi.waitFor(() => expect(receipts).toHaveLength(1));
    expect(receipts[0]).toEqual({ messageId, state: 'delivered', errorCode: '000' });
    expect(smsc.binds()[0]?.command).toBe('bind_transceiver');
    await vi.waitFor(() => expect(smsc.pdus.map((p) => p.command)).toContain('deliver_sm_resp'));
    expect(everything(receipts)).not.toContain('code is');
  });

  it('answers deliver_sm even without a receipt handler, and a throwing handler does not break the session', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    smsc.afterAccept = (session, _pdu, messageId) => {
      session.deliver_sm({ esm_class: 0x04, receipted_message_id: messageId, message_state: 5, short_message: 'stat:UNDELIV err:0x1' });
    };
    const sms = sender({
      onDeliveryReceipt: () => {
        throw new Error('handler bug');
      },
    });
    await sms.send({ to: DESTINATION, text: 'one' });
    await vi.waitFor(() => expect(smsc.pdus.filter((p) => p.command === 'deliver_sm_resp')).toHaveLength(1));
    await sms.send({ to: DESTINATION, text: 'two' });
    await vi.waitFor(() => expect(smsc.pdus.filter((p) => p.command === 'deliver_sm_resp')).toHaveLength(2));
    expect(smsc.connections).toBe(1);
    expect(logLines.some((l) => l.includes('delivery receipt handler failed'))).toBe(true);
  });
});

describe('SmppSmsSender: TLS (smpps)', () => {
  let dir: string;
  let key: string;
  let cert: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'custodia-smpp-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=test-smsc', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    key = readFileSync(path.join(dir, 'key.pem'), 'utf8');
    cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('binds and submits over TLS when the SMSC certificate is trusted', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD, key, cert });
    const url = `smpps://${SYSTEM_ID}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${smsc.port}?source=Custodia`;
    const sms = sender({ ...parseSmppUrl(url), tls: { ca: cert } });
    await expect(sms.send({ to: DESTINATION, text: OTP_TEXT })).resolves.toEqual({ messageId: 'msg-1' });
    expect(textOf(smsc.submits()[0]?.short_message)).toBe(OTP_TEXT);
  });

  it('refuses an untrusted certificate before sending the password', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD, key, cert });
    const error = await failure(sender({ tls: true }).send({ to: DESTINATION, text: OTP_TEXT }));
    expect(error.code).toBe('channels.sms_unavailable');
    expect(error.details).toMatchObject({ reason: 'connect_failed' });
    expect(smsc.binds()).toEqual([]);
  });
});

describe('parseSmppUrl', () => {
  const SECRET = 'Sup3r$ecret';

  it('reads system id, percent-decoded password, host, port and source', () => {
    expect(parseSmppUrl('smpp://custodia:s3cr%40t%3A1@SMSC.example.com:2776?source=Custodia&plaintext=allowed')).toEqual({
      host: 'smsc.example.com',
      port: 2776,
      tls: false,
      systemId: 'custodia',
      password: 's3cr@t:1',
      sourceAddr: 'Custodia',
    });
  });

  it('defaults the port to 2775, or 3550 with TLS (smpps, or the package spelling ssmpp)', () => {
    expect(parseSmppUrl('smpp://a:b@smsc?source=X&plaintext=allowed')).toMatchObject({ port: 2775, tls: false });
    expect(parseSmppUrl('smpps://a:b@smsc?source=X')).toMatchObject({ port: 3550, tls: true });
    expect(parseSmppUrl('SSMPP://a:b@smsc:4000?source=X')).toMatchObject({ port: 4000, tls: true });
  });

  it('takes an IPv6 host, an empty password, and the optional parameters', () => {
    expect(parseSmppUrl('smpp://a@[::1]:2775?source=%2B15550001111&system_type=OTP&source_ton=3&source_npi=0&max_per_second=25')).toEqual({
      host: '::1',
      port: 2775,
      tls: false,
      systemId: 'a',
      password: '',
      sourceAddr: '+15550001111',
      systemType: 'OTP',
      sourceTon: 3,
      sourceNpi: 0,
      maxPerSecond: 25,
    });
  });

  it.each([
    ['another scheme', `http://user:${SECRET}@smsc?source=X`, /must start with smpp:\/\/ or smpps:\/\//],
    ['no scheme', `user:${SECRET}@smsc`, /must start with smpp:\/\//],
    ['no system id', `smpp://:${SECRET}@smsc?source=X`, /system id is missing/],
    ['no host', `smpp://user:${SECRET}@?source=X`, /not a valid URL|host is missing/],
    ['a port out of range', `smpp://user:${SECRET}@smsc:99999?source=X`, /not a valid URL \(check the port/],
    ['port 0', `smpp://user:${SECRET}@smsc:0?source=X`, /port must be an integer from 1 to 65535/],
    ['a malformed escape in the password', `smpp://user:${SECRET}%zz@smsc?source=X`, /password has a malformed percent-escape/],
    ['no source', `smpp://user:${SECRET}@smsc`, /source parameter is missing/],
    ['an unknown parameter', `smpp://user:${SECRET}@smsc?source=X&sorce_ton=1`, /unknown parameter "sorce_ton"/],
    ['a repeated parameter', `smpp://user:${SECRET}@smsc?source=X&source=Y`, /"source" is given more than once/],
    ['a non-numeric TON', `smpp://user:${SECRET}@smsc?source=X&source_ton=abc`, /source_ton must be a whole number/],
    ['a TON out of range', `smpp://user:${SECRET}@smsc?source=X&source_ton=300`, /sourceTon must be an integer from 0 to 255/],
    ['a source name too long', `smpp://user:${SECRET}@smsc?source=CustodiaSecurity`, /sourceAddr must be/],
    ['a path', `smpp://user:${SECRET}@smsc/path?source=X`, /must not have a path/],
    ['a fragment', `smpp://user:${SECRET}@smsc?source=X#frag`, /must not have a #fragment/],
    ['a non-ASCII password', `smpp://user:${SECRET}%C3%B1@smsc?source=X`, /password must be at most 64 printable ASCII characters/],
    // Plain SMPP would carry the password and the codes in clear over the network.
    ['plain SMPP to another machine', `smpp://user:${SECRET}@smsc.example?source=X`, /use smpps:\/\/ \(TLS\), or add \?plaintext=allowed/],
    ['a plaintext value other than allowed', `smpp://user:${SECRET}@smsc.example?source=X&plaintext=yes`, /plaintext may only be "allowed"/],
  ])('refuses %s with a clear message that does not repeat the password', (_name, url, message) => {
    let caught: unknown;
    try {
      parseSmppUrl(url);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TypeError);
    expect((caught as Error).message).toMatch(/^SMPP URL: /);
    expect((caught as Error).message).toMatch(message);
    expect(everything(caught)).not.toContain(SECRET);
    expect((caught as Error).cause).toBeUndefined();
  });

  it('gives settings a sender binds with (the decoded password reaches the SMSC)', async () => {
    smsc = await startSmsc({ systemId: 'sys', password: 'p@ss:1' });
    const sms = sender(parseSmppUrl(`smpp://sys:p%40ss%3A1@127.0.0.1:${smsc.port}?source=Custodia`));
    await expect(sms.send({ to: DESTINATION, text: 'hi' })).resolves.toEqual({ messageId: 'msg-1' });
    expect(smsc.binds()[0]).toMatchObject({ system_id: 'sys', password: 'p@ss:1' });
  });
});

describe('SmppSmsSender configuration', () => {
  it('refuses bad settings with a TypeError naming the setting, never its value', () => {
    const base = { host: 'smsc', systemId: 'a', password: SECRET_CONFIG, sourceAddr: 'Custodia' };
    expect(() => new SmppSmsSender({ ...base, port: 70_000 })).toThrow(/^port must be an integer from 1 to 65535$/);
    expect(() => new SmppSmsSender({ ...base, maxPerSecond: 0 })).toThrow(/maxPerSecond/);
    expect(() => new SmppSmsSender({ ...base, sourceAddr: 'Far too long a name' })).toThrow(/sourceAddr/);
    expect(() => new SmppSmsSender({ ...base, systemId: '' })).toThrow(/systemId/);
    let caught: unknown;
    try {
      new SmppSmsSender({ ...base, password: `${SECRET_CONFIG}\u0000` });
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).toMatch(/^password must be/);
    expect(everything(caught)).not.toContain(SECRET_CONFIG);
  });

  it('is an AppError-producing SmsSender: isAppError works with the channel codes', async () => {
    smsc = await startSmsc({ systemId: SYSTEM_ID, password: PASSWORD });
    const error = await failure(sender().send({ to: 'nope', text: 'x' }));
    expect(isAppError(error, ChannelErrors.invalid_destination)).toBe(true);
    expect(smpp.errors.ESME_RINVPASWD).toBe(0x0e);
  });
});

const SECRET_CONFIG = 'C0nfigS3cret';

/** A port on which nothing listens: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
