/**
 * Messages of an interaction: chat messages, email bodies (with their subject) and transcript
 * segments, posted by the telephony or chat platform or by the agent handling the interaction.
 *
 * The text is redacted with the tenant's redaction policy before anything else happens to it:
 * what is stored, returned and listed is the redacted text, and the only record in the ledger is
 * one entry per message with the counts per entity type. The raw text is never stored, except as
 * vault ciphertext: inside the redacted text when the policy uses the `encrypt` operator, and the
 * short held-back tail of a live transcript (below).
 *
 * Transcript segments of one speaker in one interaction form a stream: a card number read out
 * across two segments ("4111 1111" then "1111 1111") must be caught as one. The core's stream
 * redactor holds back the end of the text that could continue in the next chunk; here that
 * held-back tail (at most the redactor's bound, 256 characters, plus 96 characters of already
 * released text as left context for context words) is kept between requests in
 * `interaction_message_streams`, sealed by the vault under the interaction's data key. Each
 * segment's stored text is what the stream released when it arrived: the tail held from the
 * previous segment, then this segment's text up to its own held-back tail. The segment marked
 * `final` releases everything and deletes the tail; so does the interaction leaving `active`
 * ({@link flushTranscripts}: a dropped call never sends its final segment). Concatenating a
 * speaker's segments in order gives the redacted transcript.
 */
import { type Generated, sql } from 'kysely';
import type { Tx } from '../db/index.js';
import type { LedgerEntryInput } from '../ledger/entry.js';
import { recordEntry } from '../ledger/record.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import {
  activeRedactionSettings,
  CONTEXT_CHARS,
  countDetails,
  createStreamRedactor,
  createVaultBackend,
  detectLanguage,
  type EntityType,
  type Language,
  type OperatorBackend,
  redact,
  type RedactionPolicy,
  type Replacement,
} from '../redaction/index.js';
import type { Vault } from '../vault/index.js';
import { InteractionErrors } from './errors.js';
import { getInteractionFor, type InteractionActor } from './service.js';

export const MESSAGE_KINDS = ['chat', 'email', 'transcript'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];
export const SENDERS = ['customer', 'agent', 'bot', 'system'] as const;
export type Sender = (typeof SENDERS)[number];
export const SPEAKER_PATTERN = /^[a-z0-9_-]{1,32}$/;
/** Longest message text accepted, in characters. */
export const MAX_MESSAGE_CHARS = 262_144;
/** Longest email subject accepted (RFC 5322's line limit is 998 characters). */
export const MAX_SUBJECT_CHARS = 998;

export type NewMessage =
  | { readonly kind: 'chat'; readonly sender: Sender; readonly text: string; readonly language?: Language | undefined }
  | { readonly kind: 'email'; readonly sender: Sender; readonly subject?: string | undefined; readonly text: string; readonly language?: Language | undefined }
  | {
      readonly kind: 'transcript';
      readonly speaker: string;
      readonly startMs?: number | undefined;
      readonly endMs?: number | undefined;
      readonly final?: boolean | undefined;
      readonly text: string;
      readonly language?: Language | undefined;
    };

export interface Message {
  readonly id: string;
  readonly interactionId: string;
  readonly kind: MessageKind;
  readonly sender: Sender | null;
  readonly speaker: string | null;
  readonly startMs: number | null;
  readonly endMs: number | null;
  readonly final: boolean | null;
  /** Redacted. */
  readonly subject: string | null;
  /** Redacted. */
  readonly text: string;
  readonly language: Language;
  readonly policyVersion: number;
  readonly redactions: Partial<Record<EntityType, number>>;
  readonly actor: { readonly type: 'agent' | 'service'; readonly id: string };
  readonly createdAt: Date;
}

export interface InteractionMessagesTable {
  id: string;
  seq: Generated<string>;
  tenant_id: string;
  interaction_id: string;
  kind: MessageKind;
  sender: Sender | null;
  speaker: string | null;
  start_ms: number | null;
  end_ms: number | null;
  final: boolean | null;
  subject_redacted: string | null;
  body_redacted: string;
  language: Language;
  policy_version: number;
  redactions: unknown;
  actor_type: 'agent' | 'service';
  actor_id: string;
  created_at: Date;
}

export interface InteractionMessageStreamsTable {
  id: string;
  tenant_id: string;
  interaction_id: string;
  speaker: string;
  language: Language;
  state_cipher: string;
  updated_at: Date;
}

type MessageTables = { interaction_messages: InteractionMessagesTable; interaction_message_streams: InteractionMessageStreamsTable };

function tables(tx: Tx) {
  return tx.withTables<MessageTables>();
}

function actorRef(actor: InteractionActor): { type: 'agent' | 'service'; id: string } {
  return actor.type === 'agent' ? { type: 'agent', id: actor.agentId } : { type: 'service', id: actor.keyId };
}

function addCounts(into: Partial<Record<EntityType, number>>, from: Partial<Record<EntityType, number>>): void {
  for (const [type, n] of Object.entries(from) as [EntityType, number][]) into[type] = (into[type] ?? 0) + n;
}

interface StreamState {
  /** Already released text kept as left context. */
  readonly c: string;
  /** Held back, not yet released. */
  readonly h: string;
}

const stateLocation = (rowId: string) => ({ table: 'interaction_message_streams', recordId: rowId, field: 'held_text' });

/**
 * Where input offset `at` lands in the output of a redaction with `replacements` (sorted). A
 * replacement straddling `at` (a value that began in text released before; only possible for one
 * longer than the hold-back bound) is emitted whole.
 */
function outputOffset(at: number, replacements: readonly Replacement[]): number {
  let delta = 0;
  for (const r of replacements) {
    if (r.end <= at) delta += r.outputEnd - r.outputStart - (r.end - r.start);
    else if (r.start < at) return r.outputStart;
    else break;
  }
  return at + delta;
}

/**
 * Redacts one transcript segment as the next chunk of its speaker's stream; see the module
 * comment. The stream state is read and written under an advisory lock per interaction and
 * speaker, so two segments posted at once are taken in turn.
 */
async function redactSegment(
  tx: Tx,
  args: { vault: Vault; tenantId: string; interactionId: string; speaker: string; text: string; language: Language | undefined; final: boolean; policy: RedactionPolicy; backend: OperatorBackend; now: Date },
): Promise<{ text: string; language: Language; counts: Partial<Record<EntityType, number>> }> {
  const { vault, tenantId, interactionId, speaker, now } = args;
  await sql`select pg_advisory_xact_lock(hashtextextended(${`custodia.transcript.${interactionId}.${speaker}`}, 0))`.execute(tx);
  const row = await tables(tx).selectFrom('interaction_message_streams').select(['id', 'language', 'state_cipher']).where('interaction_id', '=', interactionId).where('speaker', '=', speaker).executeTakeFirst();
  const state: StreamState = row === undefined ? { c: '', h: '' } : (JSON.parse(await vault.decryptField(tx, tenantId, stateLocation(row.id), row.state_cipher)) as StreamState);
  const language = args.language ?? row?.language ?? detectLanguage(state.h + args.text);
  const full = state.c + state.h + args.text;
  const stream = createStreamRedactor({ language, policy: args.policy, backend: args.backend });
  // A fresh redactor over context + held + new text: it decides the cut exactly as one redactor
  // living across the segments would, except that it may release the context again, which is cut
  // off below (it was stored with the previous segment).
  let out = await stream.push(full);
  if (args.final) out += await stream.end();
  const replacements = stream.replacements;
  const last = replacements.at(-1);
  const released = last === undefined ? out.length : last.end + (out.length - last.outputEnd);
  const floor = state.c.length;
  const text = released <= floor ? '' : out.slice(outputOffset(floor, replacements));
  const counts: Partial<Record<EntityType, number>> = {};
  for (const r of replacements) if (r.end > floor) counts[r.type] = (counts[r.type] ?? 0) + 1;

  if (args.final) {
    if (row !== undefined) await tables(tx).deleteFrom('interaction_message_streams').where('id', '=', row.id).execute();
    return { text, language, counts };
  }
  const cut = Math.max(released, floor);
  const next: StreamState = { c: full.slice(Math.max(0, cut - CONTEXT_CHARS), cut), h: full.slice(cut) };
  const id = row?.id ?? newId();
  // The interaction's data key seals the tail: erasing the interaction's key erases it too.
  const cipher = await vault.encryptField(tx, tenantId, { table: 'interactions', id: interactionId }, stateLocation(id), JSON.stringify(next));
  if (row === undefined) {
    await tables(tx).insertInto('interaction_message_streams').values({ id, tenant_id: tenantId, interaction_id: interactionId, speaker, language, state_cipher: cipher, updated_at: now }).execute();
  } else {
    await tables(tx).updateTable('interaction_message_streams').set({ state_cipher: cipher, language, updated_at: now }).where('id', '=', id).execute();
  }
  return { text, language, counts };
}

/**
 * Ends every live transcript of the interaction that is still holding text back, as if its last
 * segment had been marked `final`: when a call drops, the platform may never send that segment,
 * and the held tail (sealed, but the customer's words) would otherwise stay in
 * `interaction_message_streams` for good, and the stored transcript would lack its end. Each
 * speaker's tail is redacted with the tenant's policy and stored as an empty final segment's
 * release (one ledger entry each, as any message). Called, in the same transaction, when the
 * interaction leaves `active` (wrap-up or closed). Returns the segments stored.
 */
export async function flushTranscripts(tx: Tx, deps: { vault: Vault }, args: { actor: InteractionActor; interactionId: string; now: Date }): Promise<Message[]> {
  const open = await tables(tx).selectFrom('interaction_message_streams').select('speaker').where('interaction_id', '=', args.interactionId).orderBy('speaker').execute();
  const stored: Message[] = [];
  for (const { speaker } of open) {
    stored.push(await postMessage(tx, deps, { actor: args.actor, interactionId: args.interactionId, message: { kind: 'transcript', speaker, text: '', final: true }, now: args.now }));
  }
  return stored;
}

function ledgerActor(actor: InteractionActor): LedgerEntryInput['actor'] {
  const ref = actorRef(actor);
  return { type: ref.type, id: ref.id };
}

/**
 * Redacts and stores one message of an interaction the actor may act on (agents: assigned to
 * them; supervisors and the platform's API keys: any of the tenant); otherwise, and for another
 * tenant's id, `interactions.not_found`. One ledger entry with the counts per type.
 *
 * @example
 * ```ts
 * const m = await db.withTenant(tenantId, (tx) => postMessage(tx, { vault }, {
 *   actor: actorOfApiKey(key), interactionId, message: { kind: 'chat', sender: 'customer', text: 'mi tarjeta es 4111 1111 1111 1111' }, now }));
 * m.text; // 'mi tarjeta es <CARD_NUMBER>'
 * ```
 */
export async function postMessage(tx: Tx, deps: { vault: Vault }, args: { actor: InteractionActor; interactionId: string; message: NewMessage; now: Date }): Promise<Message> {
  const { actor, interactionId, message, now } = args;
  if (message.text.length > MAX_MESSAGE_CHARS) throw new TypeError(`a message has at most ${MAX_MESSAGE_CHARS} characters`);
  await getInteractionFor(tx, actor, interactionId);
  const tenantId = actor.tenantId;
  const { version, settings } = await activeRedactionSettings(tx, tenantId);
  const policy = settings.policy;
  const backend = await createVaultBackend(tx, policy, { vault: deps.vault, tenantId, interactionId });
  const counts: Partial<Record<EntityType, number>> = {};
  let body: string;
  let subject: string | null = null;
  let language: Language;
  try {
    if (message.kind === 'transcript') {
      if (!SPEAKER_PATTERN.test(message.speaker)) throw new TypeError('speaker is a label such as customer, agent or spk_1');
      const out = await redactSegment(tx, { vault: deps.vault, tenantId, interactionId, speaker: message.speaker, text: message.text, language: message.language, final: message.final === true, policy, backend, now });
      body = out.text;
      language = out.language;
      addCounts(counts, out.counts);
    } else {
      const out = await redact(message.text, { policy, backend, ...(message.language === undefined ? {} : { language: message.language }) });
      body = out.text;
      language = out.language;
      addCounts(counts, out.counts);
      if (message.kind === 'email' && message.subject !== undefined) {
        const s = await redact(message.subject, { policy, backend, language });
        subject = s.text;
        addCounts(counts, s.counts);
      }
    }
  } finally {
    backend.close();
  }
  const id = newId();
  const ref = actorRef(actor);
  const transcript = message.kind === 'transcript' ? message : undefined;
  await tables(tx)
    .insertInto('interaction_messages')
    .values({
      id,
      tenant_id: tenantId,
      interaction_id: interactionId,
      kind: message.kind,
      sender: message.kind === 'transcript' ? null : message.sender,
      speaker: transcript?.speaker ?? null,
      start_ms: transcript?.startMs ?? null,
      end_ms: transcript?.endMs ?? null,
      final: transcript === undefined ? null : transcript.final === true,
      subject_redacted: subject,
      body_redacted: body,
      language,
      policy_version: version,
      redactions: JSON.stringify(counts),
      actor_type: ref.type,
      actor_id: ref.id,
      created_at: now,
    })
    .execute();
  await recordEntry(
    tx,
    tenantId,
    {
      actor: ledgerActor(actor),
      action: 'interaction.message.add',
      targets: { interaction: interactionId, message: id },
      details: { kind: message.kind, policyVersion: version, language, ...countDetails(counts) },
    },
    now,
  );
  return {
    id,
    interactionId,
    kind: message.kind,
    sender: message.kind === 'transcript' ? null : message.sender,
    speaker: transcript?.speaker ?? null,
    startMs: transcript?.startMs ?? null,
    endMs: transcript?.endMs ?? null,
    final: transcript === undefined ? null : transcript.final === true,
    subject,
    text: body,
    language,
    policyVersion: version,
    redactions: counts,
    actor: ref,
    createdAt: now,
  };
}

/**
 * The messages of an interaction the actor may act on, oldest first, as stored (redacted).
 * `after`: continue after this message id (the previous page's `next`).
 */
export async function listMessages(tx: Tx, args: { actor: InteractionActor; interactionId: string; after?: string | undefined; limit: number }): Promise<{ messages: Message[]; next: string | null }> {
  const { actor, interactionId, limit } = args;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 500) throw new TypeError('limit is 1..500');
  await getInteractionFor(tx, actor, interactionId);
  let query = tables(tx).selectFrom('interaction_messages').selectAll().where('interaction_id', '=', interactionId);
  if (args.after !== undefined) {
    const from = await tables(tx).selectFrom('interaction_messages').select('seq').where('interaction_id', '=', interactionId).where('id', '=', args.after).executeTakeFirst();
    if (from === undefined) throw new AppError(InteractionErrors.not_found, { detail: 'No message of this interaction has that id' });
    query = query.where('seq', '>', from.seq);
  }
  const rows = await query.orderBy('seq').limit(limit + 1).execute();
  const page = rows.slice(0, limit).map(
    (r): Message => ({
      id: r.id,
      interactionId: r.interaction_id,
      kind: r.kind,
      sender: r.sender,
      speaker: r.speaker,
      startMs: r.start_ms,
      endMs: r.end_ms,
      final: r.final,
      subject: r.subject_redacted,
      text: r.body_redacted,
      language: r.language,
      policyVersion: r.policy_version,
      redactions: (typeof r.redactions === 'string' ? JSON.parse(r.redactions) : r.redactions) as Partial<Record<EntityType, number>>,
      actor: { type: r.actor_type, id: r.actor_id },
      createdAt: r.created_at,
    }),
  );
  return { messages: page, next: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}
