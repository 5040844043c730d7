/**
 * A real SMSC for tests: the `smpp` package's server on an ephemeral port, in the test process.
 * It checks bind credentials as an SMSC does, records every PDU it receives, and answers each
 * submit_sm as the test says (accept, refuse with a status, stay silent, or drop the connection).
 */
import type { AddressInfo } from 'node:net';
import smpp, { type PDU, type Session } from 'smpp';

export type SubmitAnswer =
  | { readonly accept: true }
  | { readonly status: number }
  /** Never answer (the client's submit timeout fires). */
  | { readonly silent: true }
  /** Destroy the connection instead of answering. */
  | { readonly drop: true };

export interface TestSmscOptions {
  readonly systemId: string;
  readonly password: string;
  /** TLS key and certificate: a TLS server. */
  readonly key?: string;
  readonly cert?: string;
}

export interface TestSmsc {
  readonly port: number;
  /** Every PDU received, requests and responses, in order. */
  readonly pdus: PDU[];
  /** TCP (or TLS) connections accepted so far. */
  connections: number;
  /** While true, every bind is refused with ESME_RBINDFAIL whatever its credentials. */
  refuseBinds: boolean;
  /** How each submit_sm is answered; accept by default. */
  answer: (pdu: PDU, index: number) => SubmitAnswer;
  /** Called for each accepted submit_sm after its response is sent. */
  afterAccept: ((session: Session, pdu: PDU, messageId: string) => void) | undefined;
  submits(): PDU[];
  binds(): PDU[];
  /** Destroys every open connection, as a crashing SMSC would. */
  dropAll(): void;
  close(): Promise<void>;
}

const BIND_COMMANDS = new Set(['bind_transmitter', 'bind_transceiver', 'bind_receiver']);

export async function startSmsc(options: TestSmscOptions): Promise<TestSmsc> {
  const sessions = new Set<Session>();
  let submitted = 0;

  const onSession = (session: Session) => {
    smsc.connections += 1;
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => undefined);
    session.on('pdu', (pdu: PDU) => {
      smsc.pdus.push(pdu);
      if (BIND_COMMANDS.has(pdu.command)) {
        const ok = pdu.system_id === options.systemId && pdu.password === options.password;
        const status = smsc.refuseBinds ? smpp.errors.ESME_RBINDFAIL : ok ? 0 : smpp.errors.ESME_RINVPASWD;
        session.send(pdu.response(status === 0 ? { system_id: 'test-smsc' } : { command_status: status }));
        if (status !== 0) session.close();
      } else if (pdu.command === 'submit_sm') {
        const index = submitted++;
        const answer = smsc.answer(pdu, index);
        if ('silent' in answer) return;
        if ('drop' in answer) {
          session.destroy();
          return;
        }
        if ('status' in answer) {
          session.send(pdu.response({ command_status: answer.status }));
          return;
        }
        const messageId = `msg-${index + 1}`;
        session.send(pdu.response({ message_id: messageId }));
        smsc.afterAccept?.(session, pdu, messageId);
      } else if (pdu.command === 'enquire_link' || pdu.command === 'unbind') {
        session.send(pdu.response());
        if (pdu.command === 'unbind') session.close();
      }
    });
  };

  const server = options.key !== undefined && options.cert !== undefined ? smpp.createServer({ key: options.key, cert: options.cert }, onSession) : smpp.createServer(onSession);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });

  const smsc: TestSmsc = {
    port: (server.address() as AddressInfo).port,
    pdus: [],
    connections: 0,
    refuseBinds: false,
    answer: () => ({ accept: true }),
    afterAccept: undefined,
    submits: () => smsc.pdus.filter((p) => p.command === 'submit_sm'),
    binds: () => smsc.pdus.filter((p) => BIND_COMMANDS.has(p.command)),
    dropAll() {
      for (const session of sessions) session.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
  return smsc;
}

/**
 * Time that moves only when the test says: a fixed clock, and a `sleep` that parks its caller
 * until `advance` moves the clock past its deadline.
 */
export function manualTime(start = '2026-01-01T00:00:00.000Z') {
  let now = new Date(start).getTime();
  const parked: { at: number; resolve: () => void }[] = [];
  return {
    clock: { now: () => new Date(now) },
    sleep: (ms: number) => new Promise<void>((resolve) => parked.push({ at: now + ms, resolve })),
    /** Callers currently parked in `sleep`. */
    parked: () => parked.length,
    /** Requested sleep durations of the parked callers, relative to now. */
    parkedFor: () => parked.map((p) => p.at - now),
    advance(ms: number) {
      now += ms;
      // In the order they were parked: that is the order the throttle handed out the slots.
      for (const entry of [...parked]) {
        if (entry.at <= now) {
          parked.splice(parked.indexOf(entry), 1);
          entry.resolve();
        }
      }
    },
  };
}
