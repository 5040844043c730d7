/**
 * One contract for every EventBus: it runs against the in-process bus always, and against Redis
 * pub/sub when TEST_REDIS_URL is set. Redis-only tests cover what only Redis has: several
 * processes (several connections), raw messages from outside, the subscriber connection being
 * closed, and being cut and coming back.
 *
 * A Redis subscription reaches the server a moment after `subscribe` returns, so tests first wait
 * until a probe message comes through (`subscribed`), then publish what they assert on.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../test/helpers/database.js';
import { type EventBus, type EventMessage, memoryEventBus, redisEventBus } from './events.js';
import { createLogger, type Logger } from './logger.js';
import { connectRedis } from './redis.js';

/** Polls `probe` until it returns true; fails after `limitMs` (a bound on waiting, not a timing assertion). */
async function eventually(what: string, probe: () => boolean | Promise<boolean>, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await sleep(20);
  }
}

class LogLines {
  readonly lines: { level: number; msg: string; channel?: string }[] = [];
  readonly raw: string[] = [];
  readonly logger: Logger;
  constructor() {
    const stream = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        for (const line of chunk.toString('utf8').split('\n').filter((l) => l.length > 0)) {
          this.raw.push(line);
          this.lines.push(JSON.parse(line) as { level: number; msg: string; channel?: string });
        }
        callback();
      },
    });
    this.logger = createLogger('info', stream);
  }
  count(msg: string, channel: string): number {
    return this.lines.filter((l) => l.msg === msg && l.channel === channel).length;
  }
  text(): string {
    return this.raw.join('\n');
  }
}

/** Collects the messages a handler receives, leaving out the probes of `subscribed`. */
function recorder(): { messages: EventMessage[]; handler: (m: EventMessage) => void } {
  const messages: EventMessage[] = [];
  return { messages, handler: (m) => (m.probe === undefined ? messages.push(m) : undefined) };
}

/**
 * Waits until `bus` receives on `channel`: publishes probes (through `via`, default `bus`) until
 * one arrives. Call it after the handlers under test are subscribed, so that removing the probe's
 * handler does not unsubscribe the channel.
 */
async function subscribed(bus: EventBus, channel: string, via: EventBus = bus, limitMs?: number): Promise<void> {
  const nonce = randomBytes(8).toString('hex');
  let arrived = false;
  const stop = bus.subscribe(channel, (m) => {
    if (m.probe === nonce) arrived = true;
  });
  try {
    await eventually(
      `a probe on ${channel}`,
      async () => {
        if (!arrived) await via.publish(channel, { probe: nonce });
        await sleep(20);
        return arrived;
      },
      limitMs,
    );
  } finally {
    stop();
  }
}

let channelSeq = 0;
function uniqueChannel(label: string): string {
  channelSeq += 1;
  return `test.${label}.${channelSeq}`;
}

interface Harness {
  /** A new bus (on Redis: on a connection of its own, as another process would have). */
  open(logs: LogLines): Promise<EventBus>;
}

function eventBusContract(name: string, harness: () => Harness): void {
  describe(`EventBus contract: ${name}`, () => {
    let h: Harness;
    let logs: LogLines;
    let bus: EventBus;
    beforeEach(async () => {
      h = harness();
      logs = new LogLines();
      bus = await h.open(logs);
      return () => bus.close();
    });

    it('delivers a message to the subscribers of its channel in the publishing process, and only them', async () => {
      const channel = uniqueChannel('own');
      const other = uniqueChannel('other');
      const first = recorder();
      const second = recorder();
      const elsewhere = recorder();
      bus.subscribe(channel, first.handler);
      bus.subscribe(channel, second.handler);
      bus.subscribe(other, elsewhere.handler);
      await subscribed(bus, channel);
      await subscribed(bus, other);
      await bus.publish(channel, { kind: 'session.revoked', sessionId: 's-1' });
      await bus.publish(other, { marker: 'after' });
      await eventually('delivery', () => first.messages.length === 1 && second.messages.length === 1 && elsewhere.messages.length === 1);
      expect(first.messages).toEqual([{ kind: 'session.revoked', sessionId: 's-1' }]);
      expect(second.messages).toEqual([{ kind: 'session.revoked', sessionId: 's-1' }]);
      expect(elsewhere.messages).toEqual([{ marker: 'after' }]);
    });

    it('calls handlers only after publish has returned', async () => {
      const channel = uniqueChannel('async');
      const r = recorder();
      bus.subscribe(channel, r.handler);
      await subscribed(bus, channel);
      const publishing = bus.publish(channel, { n: 1 });
      expect(r.messages).toEqual([]);
      await publishing;
      await eventually('delivery', () => r.messages.length === 1);
      expect(r.messages).toEqual([{ n: 1 }]);
    });

    it('delivers a JSON copy: each handler its own, never the published object', async () => {
      const channel = uniqueChannel('copy');
      const received: EventMessage[] = [];
      bus.subscribe(channel, (m) => {
        if (m.probe !== undefined) return;
        received.push(m);
        (m.nested as { n: number }).n = 99;
      });
      bus.subscribe(channel, (m) => (m.probe === undefined ? received.push(m) : undefined));
      await subscribed(bus, channel);
      const message = { nested: { n: 1 }, at: new Date('2026-11-23T09:00:00Z') };
      await bus.publish(channel, message);
      await eventually('delivery', () => received.length === 2);
      expect(message.nested.n).toBe(1);
      expect(received[0]).not.toBe(message);
      expect(received[1]).toEqual({ nested: { n: 1 }, at: '2026-11-23T09:00:00.000Z' });
    });

    it('unsubscribe stops delivery to that handler and no other; calling it twice is harmless', async () => {
      const channel = uniqueChannel('unsub');
      const gone = recorder();
      const stays = recorder();
      const stop = bus.subscribe(channel, gone.handler);
      bus.subscribe(channel, stays.handler);
      await subscribed(bus, channel);
      await bus.publish(channel, { n: 1 });
      await eventually('first delivery', () => gone.messages.length === 1 && stays.messages.length === 1);
      stop();
      stop();
      await bus.publish(channel, { n: 2 });
      // Both handlers are called for the same delivery: once `stays` has n=2, `gone` would have too.
      await eventually('second delivery', () => stays.messages.length === 2);
      expect(gone.messages).toEqual([{ n: 1 }]);
    });

    it('the same function subscribed twice is called twice, and each unsubscribe removes one', async () => {
      const channel = uniqueChannel('twice');
      const r = recorder();
      const marker = recorder();
      const stopOne = bus.subscribe(channel, r.handler);
      bus.subscribe(channel, r.handler);
      bus.subscribe(channel, marker.handler);
      await subscribed(bus, channel);
      await bus.publish(channel, { n: 1 });
      await eventually('delivery', () => marker.messages.length === 1);
      expect(r.messages).toEqual([{ n: 1 }, { n: 1 }]);
      stopOne();
      await bus.publish(channel, { n: 2 });
      await eventually('delivery', () => marker.messages.length === 2);
      expect(r.messages).toEqual([{ n: 1 }, { n: 1 }, { n: 2 }]);
    });

    it('subscribes again after the last handler of a channel left', async () => {
      const channel = uniqueChannel('again');
      const first = recorder();
      const stop = bus.subscribe(channel, first.handler);
      stop();
      const second = recorder();
      bus.subscribe(channel, second.handler);
      await subscribed(bus, channel);
      await bus.publish(channel, { n: 1 });
      await eventually('delivery', () => second.messages.length === 1);
      expect(first.messages).toEqual([]);
    });

    it('a handler that throws or rejects is logged (without the message) and the others still get it', async () => {
      const channel = uniqueChannel('throws');
      bus.subscribe(channel, () => {
        throw new Error('handler broke');
      });
      bus.subscribe(channel, async (m) => {
        if (m.probe === undefined) throw new Error('async handler broke');
      });
      const r = recorder();
      bus.subscribe(channel, r.handler);
      await subscribed(bus, channel);
      const before = logs.count('event handler failed', channel);
      await bus.publish(channel, { sessionId: 'sess-secret-4711' });
      await eventually('delivery', () => r.messages.length === 1);
      await eventually('both failures logged', () => logs.count('event handler failed', channel) >= before + 2);
      expect(r.messages).toEqual([{ sessionId: 'sess-secret-4711' }]);
      expect(logs.text()).toContain('async handler broke');
      expect(logs.lines.find((l) => l.msg === 'event handler failed')?.level).toBe(50);
      expect(logs.text()).not.toContain('sess-secret-4711');
    });

    it('after close, nothing is delivered and publish and subscribe refuse', async () => {
      const channel = uniqueChannel('closed');
      const r = recorder();
      bus.subscribe(channel, r.handler);
      await subscribed(bus, channel);
      // Published but not yet delivered when the bus closes: dropped, not delivered late. (Once
      // close() has resolved, the in-process queue has run and the subscriber socket is shut.)
      const publishing = bus.publish(channel, { n: 1 });
      const closing = bus.close();
      await publishing;
      await closing;
      await bus.close();
      expect(r.messages).toEqual([]);
      await expect(bus.publish(channel, { n: 2 })).rejects.toThrow('event bus is closed');
      expect(() => bus.subscribe(channel, r.handler)).toThrow('event bus is closed');
    });

    it('rejects caller mistakes with a TypeError', async () => {
      await expect(bus.publish('', { n: 1 })).rejects.toThrow(TypeError);
      await expect(bus.publish('has space', { n: 1 })).rejects.toThrow(TypeError);
      await expect(bus.publish('x'.repeat(200), { n: 1 })).rejects.toThrow(TypeError);
      await expect(bus.publish('ok', [1, 2] as unknown as EventMessage)).rejects.toThrow(TypeError);
      await expect(bus.publish('ok', null as unknown as EventMessage)).rejects.toThrow(TypeError);
      expect(() => bus.subscribe('bad*pattern', () => undefined)).toThrow(TypeError);
    });
  });
}

// ---------------------------------------------------------------------------------------------

eventBusContract('memory', () => ({ open: async (logs) => memoryEventBus({ logger: logs.logger }) }));

describe('memoryEventBus', () => {
  it('keeps buses apart: a bus is one process', async () => {
    const one = memoryEventBus({ logger: new LogLines().logger });
    const two = memoryEventBus({ logger: new LogLines().logger });
    const onOne = recorder();
    const onTwo = recorder();
    one.subscribe('sessions.revoked', onOne.handler);
    two.subscribe('sessions.revoked', onTwo.handler);
    await two.publish('sessions.revoked', { n: 1 });
    await eventually('delivery', () => onTwo.messages.length === 1);
    expect(onOne.messages).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe.runIf(TEST_REDIS_URL !== undefined)('redisEventBus', () => {
  const prefix = `custodia:test:${randomBytes(6).toString('hex')}:ev:`;
  const silent = createLogger('silent');
  const connections: Redis[] = [];
  let publisher: Redis;

  async function connection(): Promise<Redis> {
    const redis = await connectRedis(TEST_REDIS_URL ?? '', silent);
    connections.push(redis);
    return redis;
  }

  beforeAll(async () => {
    publisher = await connection();
  });

  afterAll(() => {
    for (const redis of connections) redis.disconnect();
  });

  async function subscriberCount(channel: string): Promise<number> {
    const reply = (await publisher.pubsub('NUMSUB', prefix + channel)) as [string, number];
    return Number(reply[1]);
  }

  eventBusContract('redis', () => ({ open: async (logs) => redisEventBus(await connection(), { prefix, logger: logs.logger }) }));

  it('two buses on two connections (two processes) both receive what one publishes, itself included', async () => {
    const logs = new LogLines();
    const a = await redisEventBus(await connection(), { prefix, logger: logs.logger });
    const b = await redisEventBus(await connection(), { prefix, logger: logs.logger });
    try {
      const channel = uniqueChannel('two-processes');
      const onA = recorder();
      const onB = recorder();
      a.subscribe(channel, onA.handler);
      b.subscribe(channel, onB.handler);
      await subscribed(a, channel);
      await subscribed(b, channel, a);
      await a.publish(channel, { sessionId: 's-42', reason: 'revoked' });
      await eventually('delivery to both', () => onA.messages.length === 1 && onB.messages.length === 1);
      expect(onA.messages).toEqual([{ sessionId: 's-42', reason: 'revoked' }]);
      expect(onB.messages).toEqual([{ sessionId: 's-42', reason: 'revoked' }]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('publishes on <prefix><channel>, custodia:ev: by default', async () => {
    const redis = await connection();
    const bus = await redisEventBus(redis, { logger: silent });
    const listener = redis.duplicate();
    connections.push(listener);
    listener.on('error', () => undefined);
    await listener.connect();
    try {
      const channel = uniqueChannel('default-prefix');
      const raw: string[] = [];
      listener.on('message', (_channel: string, message: string) => raw.push(message));
      await listener.subscribe(`custodia:ev:${channel}`);
      await bus.publish(channel, { n: 1 });
      await eventually('the raw message', () => raw.length === 1);
      expect(JSON.parse(raw[0] ?? '') as unknown).toEqual({ n: 1 });
    } finally {
      await bus.close();
    }
  });

  it('ignores messages that are not JSON objects, logging them at warn without their content', async () => {
    const logs = new LogLines();
    const bus = await redisEventBus(await connection(), { prefix, logger: logs.logger });
    try {
      const channel = uniqueChannel('malformed');
      const r = recorder();
      bus.subscribe(channel, r.handler);
      await subscribed(bus, channel);
      for (const raw of ['{"sessionId":"raw-secret-1"', 'raw-secret-2 not json', '[1,2]', '42', 'null', '"raw-secret-3"']) {
        await publisher.publish(prefix + channel, raw);
      }
      await bus.publish(channel, { n: 1 });
      // Each raw publish was answered before the valid one was sent, and one subscriber connection
      // receives in the server's order: once the valid message is here, the malformed ones were handled.
      await eventually('the valid message', () => r.messages.length === 1);
      expect(r.messages).toEqual([{ n: 1 }]);
      expect(logs.count('malformed event message ignored', channel)).toBe(6);
      expect(logs.lines.find((l) => l.msg === 'malformed event message ignored')?.level).toBe(40);
      expect(logs.text()).not.toContain('raw-secret');
    } finally {
      await bus.close();
    }
  });

  it('unsubscribing the last handler of a channel unsubscribes from Redis; close() ends the subscriber connection', async () => {
    const bus = await redisEventBus(await connection(), { prefix, logger: silent });
    const channel = uniqueChannel('numsub');
    const other = uniqueChannel('numsub-other');
    const stop = bus.subscribe(channel, () => undefined);
    bus.subscribe(other, () => undefined);
    await subscribed(bus, channel);
    await subscribed(bus, other);
    expect(await subscriberCount(channel)).toBe(1);
    stop();
    await eventually('the channel to be unsubscribed', async () => (await subscriberCount(channel)) === 0);
    expect(await subscriberCount(other)).toBe(1);
    await bus.close();
    await eventually('the subscriber to be gone', async () => (await subscriberCount(other)) === 0);
    expect(await subscriberCount(other)).toBe(0);
  });

  it('reconnects by itself when the subscriber connection is cut, and delivers again', async () => {
    const name = `custodia-test-${randomBytes(6).toString('hex')}`;
    // The options connectRedis uses, plus a name to find the subscriber connection by.
    const redis = new Redis(TEST_REDIS_URL ?? '', { lazyConnect: true, connectionName: name, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: (n) => Math.min(n * 100, 1_000) });
    redis.on('error', () => undefined);
    connections.push(redis);
    await redis.connect();
    const logs = new LogLines();
    const bus = await redisEventBus(redis, { prefix, logger: logs.logger });
    try {
      const channel = uniqueChannel('reconnect');
      const r = recorder();
      bus.subscribe(channel, r.handler);
      await subscribed(bus, channel);

      const subscriberIds = async () =>
        (await publisher.client('LIST') as string)
          .split('\n')
          .filter((line) => line.includes(` name=${name} `) && / sub=[1-9]/.test(line))
          .map((line) => /(?:^| )id=(\d+)/.exec(line)?.[1]);
      const [before] = await subscriberIds();
      expect(before).toMatch(/^\d+$/);
      await publisher.client('KILL', 'ID', before ?? '');

      await subscribed(bus, channel, bus, 20_000);
      const after = await subscriberIds();
      expect(after).toHaveLength(1);
      expect(after[0]).not.toBe(before);
      await bus.publish(channel, { n: 'after reconnect' });
      await eventually('delivery after reconnect', () => r.messages.length === 1);
      expect(r.messages).toEqual([{ n: 'after reconnect' }]);
    } finally {
      await bus.close();
    }
  });
});
