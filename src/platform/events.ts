/**
 * A small publish/subscribe bus between server processes: what one process publishes, every
 * process receives (itself included), e.g. "session revoked" so each drops it from its cache
 * within a second. `redisEventBus` spans processes through Redis pub/sub; `memoryEventBus` is the
 * same contract inside one process, for a server without Redis and for tests. Both pass the same
 * contract suite (events.test.ts).
 *
 * Delivery is at most once and only to subscribers present when the message arrives (Redis
 * pub/sub keeps nothing): a bus is for nudges whose loss costs latency, not correctness. Anything
 * that must not be lost belongs in the database.
 *
 * Messages are JSON objects, delivered as a fresh copy in both implementations, and always
 * asynchronously: `publish` has returned before any handler runs. A handler that throws (or
 * rejects) is logged and does not keep the message from the other handlers.
 *
 * @example
 * ```ts
 * const bus = ctx.redis ? await redisEventBus(ctx.redis, { logger }) : memoryEventBus({ logger });
 * const stop = bus.subscribe('sessions.revoked', (m) => sessionCache.delete(String(m.sessionId)));
 * await bus.publish('sessions.revoked', { sessionId });
 * ```
 */
import type { Redis } from 'ioredis';
import { createLogger, type Logger } from './logger.js';

export type EventMessage = Record<string, unknown>;
export type EventHandler = (message: EventMessage) => void;

export interface EventBus {
  /** Sends `message` (a JSON object) to every subscriber of `channel`, in this process and others. */
  publish(channel: string, message: EventMessage): Promise<void>;
  /**
   * Calls `handler` with each message on `channel` from now on; returns a function that stops it
   * (idempotent). Subscribing the same function twice delivers twice; each unsubscribe removes one.
   * On Redis the subscription reaches the server a moment later: messages published before then
   * are not delivered.
   */
  subscribe(channel: string, handler: EventHandler): () => void;
  /** Stops all delivery and releases the bus's resources (not the connection it was given). Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_EVENT_PREFIX = 'custodia:ev:';

/** Channel names: dotted words, bounded, so they are safe in Redis channel names and logs. */
const CHANNEL = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function assertChannel(channel: string): void {
  if (typeof channel !== 'string' || !CHANNEL.test(channel)) throw new TypeError('event channel must match /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/');
}

function encode(message: EventMessage): string {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) throw new TypeError('event message must be a JSON object');
  return JSON.stringify(message);
}

/** The message in `raw`, or undefined when it is not JSON or not an object. */
function decode(raw: string): EventMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as EventMessage) : undefined;
}

interface Subscription {
  readonly handler: EventHandler;
}

/**
 * The handlers of each channel, and their delivery: each handler gets its own copy of the message
 * (one handler cannot change what the next one sees), and a failing handler is logged by channel
 * only: never the message, which may carry identifiers.
 */
class Subscriptions {
  readonly #byChannel = new Map<string, Set<Subscription>>();

  constructor(private readonly logger: Logger) {}

  channels(): string[] {
    return [...this.#byChannel.keys()];
  }

  /** Adds a handler; returns whether it is the channel's first. */
  add(channel: string, subscription: Subscription): boolean {
    const set = this.#byChannel.get(channel);
    if (set !== undefined) {
      set.add(subscription);
      return false;
    }
    this.#byChannel.set(channel, new Set([subscription]));
    return true;
  }

  /** Removes a handler; returns whether the channel has none left. */
  remove(channel: string, subscription: Subscription): boolean {
    const set = this.#byChannel.get(channel);
    if (set === undefined || !set.delete(subscription)) return false;
    if (set.size > 0) return false;
    this.#byChannel.delete(channel);
    return true;
  }

  clear(): void {
    this.#byChannel.clear();
  }

  deliver(channel: string, raw: string): void {
    const set = this.#byChannel.get(channel);
    if (set === undefined) return;
    if (decode(raw) === undefined) {
      this.logger.warn({ channel, bytes: raw.length }, 'malformed event message ignored');
      return;
    }
    // A snapshot, checked again before each call: a handler may unsubscribe another.
    for (const subscription of [...set]) {
      if (!set.has(subscription)) continue;
      try {
        const result: unknown = subscription.handler(decode(raw) as EventMessage);
        // A handler typed `=> void` may still be async: its rejection must not go unhandled.
        if (result instanceof Promise) result.catch((error: unknown) => this.#failed(channel, error));
      } catch (error) {
        this.#failed(channel, error);
      }
    }
  }

  #failed(channel: string, error: unknown): void {
    this.logger.error({ err: error, channel }, 'event handler failed');
  }
}

/**
 * An {@link EventBus} inside one process. Messages go through JSON as they would through Redis,
 * and handlers run in a microtask after `publish`, so code written against it behaves the same on
 * Redis. Handler failures are logged to `logger` (by default a logger on stdout).
 */
export function memoryEventBus(options: { logger?: Logger } = {}): EventBus {
  const subscriptions = new Subscriptions(options.logger ?? createLogger('info'));
  let closed = false;

  return {
    async publish(channel, message) {
      assertChannel(channel);
      const raw = encode(message);
      if (closed) throw new Error('event bus is closed');
      queueMicrotask(() => subscriptions.deliver(channel, raw));
    },

    subscribe(channel, handler) {
      assertChannel(channel);
      if (closed) throw new Error('event bus is closed');
      const subscription: Subscription = { handler };
      subscriptions.add(channel, subscription);
      return () => {
        subscriptions.remove(channel, subscription);
      };
    },

    async close() {
      closed = true;
      subscriptions.clear();
    },
  };
}

/**
 * An {@link EventBus} on Redis pub/sub. Publishes on `redis`; subscribes on a connection of its
 * own (`redis.duplicate()`: a subscribed connection can do nothing else), which it opens here and
 * closes in `close()`. Channels are `<prefix><channel>` (prefix default `custodia:ev:`).
 *
 * A lost subscriber connection reconnects by itself (with the retry strategy of `redis`), and the
 * bus subscribes again to every channel it has handlers for; messages published while it was
 * away are lost. Messages that are not JSON objects are ignored and logged at warn, without their
 * content.
 */
export async function redisEventBus(redis: Redis, options: { prefix?: string; logger?: Logger } = {}): Promise<EventBus> {
  const prefix = options.prefix ?? DEFAULT_EVENT_PREFIX;
  if (typeof prefix !== 'string' || prefix.length === 0) throw new TypeError('prefix must be a non-empty string');
  const logger = options.logger ?? createLogger('info');
  const subscriptions = new Subscriptions(logger);
  let closed = false;

  // lazyConnect so that this function, not the constructor, opens it and sees it fail.
  const subscriber = redis.duplicate({ lazyConnect: true });
  subscriber.on('error', (error: Error & { code?: string }) => logger.warn({ err: { message: error.message, code: error.code } }, 'redis subscriber connection error'));
  subscriber.on('message', (fullChannel: string, raw: string) => {
    if (closed || !fullChannel.startsWith(prefix)) return;
    subscriptions.deliver(fullChannel.slice(prefix.length), raw);
  });
  // ioredis resubscribes after a reconnect to the channels it saw confirmed; a SUBSCRIBE that
  // failed while the connection was down (the offline queue may be off) was never confirmed, so
  // subscribe again to every channel with handlers. Subscribing twice is harmless.
  subscriber.on('ready', () => {
    const channels = subscriptions.channels();
    if (!closed && channels.length > 0) send('subscribe', channels);
  });

  function send(command: 'subscribe' | 'unsubscribe', channels: string[]): void {
    const full = channels.map((c) => prefix + c);
    subscriber[command](...full).catch((error: unknown) => {
      // While disconnected; 'ready' subscribes again on reconnection.
      if (!closed) logger.warn({ err: { message: (error as Error).message }, channels }, `redis ${command} failed`);
    });
  }

  try {
    await subscriber.connect();
  } catch (error) {
    subscriber.disconnect();
    throw error;
  }

  return {
    async publish(channel, message) {
      assertChannel(channel);
      const raw = encode(message);
      if (closed) throw new Error('event bus is closed');
      await redis.publish(prefix + channel, raw);
    },

    subscribe(channel, handler) {
      assertChannel(channel);
      if (closed) throw new Error('event bus is closed');
      const subscription: Subscription = { handler };
      if (subscriptions.add(channel, subscription)) send('subscribe', [channel]);
      return () => {
        if (subscriptions.remove(channel, subscription) && !closed) send('unsubscribe', [channel]);
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      subscriptions.clear();
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
