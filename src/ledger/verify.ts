/**
 * The ledger verifier (`custodia ledger verify`; specified in docs/ledger.md so that anyone can
 * re-implement it). It trusts nothing the Ledger class computes: it reads the raw rows (or the
 * lines of an archive file), recomputes every leaf hash and the Merkle tree with merkle.ts, checks
 * every checkpoint's Ed25519 signature with signing.ts, and reports the first thing that is wrong,
 * with the sequence number of the entry and what kind of change it looks like.
 *
 * Findings, in the order a reader meets them (by sequence number; a checkpoint just after the
 * last entry it covers):
 *
 * - `malformed`   an entry that is not JSON, not a ledger entry, or not in canonical form; a line
 *                 of an archive or witness file that cannot be read; a corrupt tree head.
 * - `edited`      an entry whose text differs from what was sequenced (its leaf hash differs from
 *                 the stored one, or its query columns disagree with it); or, when the stored
 *                 hashes were rewritten too, a signed checkpoint whose root the entries no longer
 *                 give: the change is then localised to the entries between the last checkpoint
 *                 that still matches and that one.
 * - `deleted`     missing sequence numbers; entries renumbered to close a gap; a signed checkpoint
 *                 or the tree head covering more entries than there are.
 * - `inserted`    an entry that was not sequenced here (later entries shifted up, a foreign
 *                 tenant's entry, rows past the tree head).
 * - `reordered`   entries that are in the ledger but not at their position.
 * - `bad_signature`       a checkpoint whose signature does not verify under a known key.
 * - `forked_checkpoint`   a validly signed checkpoint that is not a prefix of the tree the other
 *                 checkpoints agree on, or two different checkpoints for one size (database,
 *                 archive and witness compared).
 * - `truncated`   an archive file that ends before its end line.
 *
 * Fast by construction: entries stream in pages, each read as one field (every row's columns and
 * text, rows joined by a record separator; never all in memory; the
 * next page is on its way to the server before one is checked, so on PostgreSQL reading overlaps
 * checking); each is read once by a single-pass scanner that checks its canonical form without
 * building objects, hashed once (through merkle.ts's reused buffers) and appended to a
 * MerkleFrontier, whose root is compared at every checkpoint size. What a page's second pass
 * needs is kept in arrays, not in objects per row: at a million rows, the garbage collector's
 * share is what those objects cost. Stored tree nodes are compared
 * at the granularity of one node per page (8192 entries); a page whose node differs, or any page
 * after the tree stopped lining up, is compared entry by entry. `full` adds the entry schema
 * (decodeEntry on every entry) and a comparison of every stored node.
 */
import { sql } from 'kysely';
import type { Database, Tx } from '../db/index.js';
import { decodeEntry, encodeEntry, type LedgerEntry } from './entry.js';
import { ARCHIVE_FORMAT, checkpointRows, type FileLine, lockLedger, readLines } from './archive.js';
import { leafHash, leafHashOfText, MerkleFrontier, nodeHash } from './merkle.js';
import { keyIdOf, verifyCheckpoint } from './signing.js';

export const findingKinds = ['edited', 'deleted', 'inserted', 'reordered', 'bad_signature', 'forked_checkpoint', 'truncated', 'malformed'] as const;
export type FindingKind = (typeof findingKinds)[number];

export interface Finding {
  kind: FindingKind;
  /** First entry concerned (its sequence number), when the finding is about entries. */
  seq?: number;
  /** Last entry of the range the problem is confined to, when only a range is known. */
  toSeq?: number;
  /** Tree size of the checkpoint concerned. */
  size?: number;
  /** Where the faulty checkpoint or line is. */
  where?: 'database' | 'archive' | 'witness';
  message: string;
}

export interface CheckpointSummary {
  readonly size: number;
  readonly root: string;
  readonly time: string;
  readonly keyId: string;
}

export interface VerifyReport {
  /** True when nothing at all was found. */
  readonly ok: boolean;
  readonly tenant: string;
  readonly source: 'database' | 'archive';
  /** Entries read. */
  readonly entries: number;
  /** Size and root of the tree recomputed from them. */
  readonly size: number;
  readonly root: string;
  /** Whose public keys the signatures were checked with. */
  readonly keys: 'given' | 'database' | 'archive';
  readonly checkpoints: { readonly checked: number; readonly valid: number; readonly latest: CheckpointSummary | null };
  readonly witness: { readonly records: number; readonly checked: number } | null;
  /** Entries recorded but not yet sequenced (database only): not protected by the tree yet. */
  readonly queued: number | null;
  /** Entries after the latest valid checkpoint: anyone with write access could still change them unseen. */
  readonly unsigned: number;
  readonly findings: readonly Finding[];
  /** Findings left out of `findings` (it holds at most `maxFindings`). */
  readonly moreFindings: number;
  readonly elapsedMs: number;
}

export interface VerifyOptions {
  /**
   * Raw Ed25519 public keys to check signatures with (e.g. from `custodia ledger pubkey`, saved
   * beforehand). Without them the database's keys (or the archive's own header) are used: a
   * party who can write there could add their own.
   */
  readonly trustedKeys?: readonly Uint8Array[];
  /** Where `trustedKeys` come from, for the report (default `given`). */
  readonly trustedKeysFrom?: 'given' | 'database';
  /** A witness file (JSON lines as the sequencer appends them) to compare the checkpoints with. */
  readonly witness?: string;
  /** Also check every entry against the full entry schema and compare every stored tree node. */
  readonly full?: boolean;
  /** Findings kept in the report (default 100); the rest are counted. */
  readonly maxFindings?: number;
  /** Entries per page (a power of two; default 8192). */
  readonly pageSize?: number;
}

/** What the verifier needs of an entry; read from its canonical text. */
interface EntryView {
  readonly tenant: string;
  readonly seq: number;
  readonly at: string;
  /** `at` in milliseconds since 1970 (parsed once, while checking it). */
  readonly atMs: number;
  readonly action: string;
  readonly actorType: string;
  readonly actorId: string;
  readonly customer: string | null;
}

/**
 * The columns of a row besides its text (sequence number, action, actor type, actor id, customer
 * id or '', time in microseconds since 1970), joined with newlines in SQL: one field to transfer
 * instead of six, since each field costs the drivers more than its bytes do (PGlite copies every
 * field into a buffer of its own). Unambiguous as long as the entry's own values hold no newline
 * (the entry schema allows none); an entry whose values do never matches. The sequence number
 * comes first, so a newline in a tampered column cannot hide it.
 */
type Columns = string;

/**
 * Where the columns end in a row read as one field (its columns, a newline, its text; see
 * verifyDatabase): the index of the sixth newline, or -1 when the field does not have exactly
 * six. Only then is the split certain: none of the values holds a newline (an entry's canonical
 * text never does, nor do the columns the sequencer writes); a row whose values do is read again
 * as separate fields.
 */
function columnsEnd(field: string): number {
  let at = -1;
  for (let n = 0; n < 6; n++) {
    at = field.indexOf('\n', at + 1);
    if (at < 0) return -1;
  }
  return field.indexOf('\n', at + 1) < 0 ? at : -1;
}

/** The sequence number at the start of a row's {@link Columns}. */
function seqOf(columns: Columns): number {
  const n = Number(columns.slice(0, columns.indexOf('\n')));
  // As the drivers read bigint columns: never a silently rounded number.
  if (!Number.isSafeInteger(n)) throw new RangeError('int8 value exceeds the safe integer range');
  return n;
}

interface Row {
  seq: number;
  text: string;
  columns?: Columns;
  /** Where {@link columns} ends in that string (its length when absent). */
  columnsEnd?: number;
  /** The leaf hash recorded for it when it was sequenced (archive files carry it). */
  readonly recordedLeaf?: Buffer;
}

interface CheckpointIn {
  readonly size: number;
  readonly root: Buffer;
  readonly time: string;
  readonly keyId: string;
  readonly signature: Buffer;
  readonly where: 'database' | 'archive' | 'witness';
}

/**
 * What pass 1 learnt of a page's rows, for the stored-node comparison of pass 2, in arrays
 * rather than an object per row (a million rows are a million objects for the collector).
 */
interface PageInfo {
  readonly leaves: Buffer[];
  /** The position each entry claims (its own `seq`), or its row position when unreadable. */
  readonly claims: Float64Array;
  /** 1 where pass 1 already reported the row. */
  readonly flagged: Uint8Array;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DEFAULT_PAGE = 8192;
/** The most rows read as one field on PGlite (about 4 MB of ordinary entries)... */
const JOIN_MAX = 8192;
/** ...each of at most this many bytes (so at most 128 MB a field); longer rows are read alone. */
const JOIN_ROW_MAX = 16_384;
const KEEP_FINDINGS = 10_000;

// ---- entries ---------------------------------------------------------------------------------

// The scanner's state: the text and the position in it (one scan at a time, synchronously).
let scanText = '';
let scanAt = 0;

/** A string with no escapes (the slice), or undefined: malformed, or escapes (left to the slow path). */
function plainString(): string | undefined {
  // The loops read a local: the module's variables are slower to read in a hot loop.
  const t = scanText;
  if (t.charCodeAt(scanAt) !== 0x22) return undefined;
  const start = scanAt + 1;
  for (let j = start; j < t.length; j++) {
    const c = t.charCodeAt(j);
    if (c === 0x22) {
      scanAt = j + 1;
      return t.slice(start, j);
    }
    if (c < 0x20 || c === 0x5c) return undefined;
    if (c >= 0xd800 && c <= 0xdfff) {
      if (c > 0xdbff) return undefined;
      const d = t.charCodeAt(j + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return undefined;
      j += 1;
    }
  }
  return undefined;
}

/** Skips a canonical string (escapes as JSON.stringify writes them, \u escapes excepted). */
function skipString(): boolean {
  const t = scanText;
  if (t.charCodeAt(scanAt) !== 0x22) return false;
  for (let j = scanAt + 1; j < t.length; j++) {
    const c = t.charCodeAt(j);
    if (c === 0x22) {
      scanAt = j + 1;
      return true;
    }
    if (c < 0x20) return false;
    if (c === 0x5c) {
      const e = t.charCodeAt(j + 1);
      // \" \\ \b \f \n \r \t; never \/ nor \u here (a \u escape goes to the slow path).
      if (e !== 0x22 && e !== 0x5c && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return false;
      j += 1;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      if (c > 0xdbff) return false;
      const d = scanText.charCodeAt(j + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      j += 1;
    }
  }
  return false;
}

/** A canonical integer (no leading zero, no -0, no fraction or exponent, safe), or undefined. */
function integer(): number | undefined {
  const start = scanAt;
  if (scanText.charCodeAt(scanAt) === 0x2d) scanAt += 1;
  const first = scanText.charCodeAt(scanAt);
  if (first === 0x30) scanAt += 1;
  else if (first >= 0x31 && first <= 0x39) while (scanText.charCodeAt(scanAt) >= 0x30 && scanText.charCodeAt(scanAt) <= 0x39) scanAt += 1;
  else return undefined;
  const n = Number(scanText.slice(start, scanAt));
  return Number.isSafeInteger(n) && !Object.is(n, -0) && !(first === 0x30 && start !== scanAt - 1) ? n : undefined;
}

function skipValue(): boolean {
  const c = scanText.charCodeAt(scanAt);
  if (c === 0x22) return skipString();
  if (c === 0x7b) return skipObject();
  if (c === 0x5b) {
    scanAt += 1;
    if (scanText.charCodeAt(scanAt) === 0x5d) {
      scanAt += 1;
      return true;
    }
    for (;;) {
      if (!skipValue()) return false;
      const d = scanText.charCodeAt(scanAt++);
      if (d === 0x5d) return true;
      if (d !== 0x2c) return false;
    }
  }
  if (scanText.startsWith('true', scanAt)) return ((scanAt += 4), true);
  if (scanText.startsWith('false', scanAt)) return ((scanAt += 5), true);
  if (scanText.startsWith('null', scanAt)) return ((scanAt += 4), true);
  return integer() !== undefined;
}

/** After `{`: the first key (and its colon), null for `{}`, undefined when malformed. */
function openObject(): string | null | undefined {
  if (scanText.charCodeAt(scanAt) !== 0x7b) return undefined;
  scanAt += 1;
  if (scanText.charCodeAt(scanAt) === 0x7d) {
    scanAt += 1;
    return null;
  }
  return memberKey(undefined);
}

/** A member's key, strictly after `previous` in code-unit order, and its colon. */
function memberKey(previous: string | undefined): string | undefined {
  const key = plainString();
  if (key === undefined || (previous !== undefined && !(previous < key)) || scanText.charCodeAt(scanAt) !== 0x3a) return undefined;
  scanAt += 1;
  return key;
}

/** After a member's value: the next key, null at the end of the object, undefined when malformed. */
function nextMember(previous: string): string | null | undefined {
  const d = scanText.charCodeAt(scanAt++);
  if (d === 0x7d) return null;
  if (d !== 0x2c) return undefined;
  return memberKey(previous);
}

function skipObject(): boolean {
  let key = openObject();
  while (typeof key === 'string') {
    if (!skipValue()) return false;
    key = nextMember(key);
  }
  return key === null;
}

/**
 * Reads an entry's canonical text in one pass, without building objects: the fields the checks
 * need, or undefined when the text is not plainly a canonical entry. It accepts only texts that
 * canonicalJson would write (no whitespace, object keys strictly increasing by UTF-16 code units,
 * integers without leading zeros, strings escaped as JSON.stringify escapes them) with exactly
 * the members of an entry; a \u escape, an unknown member or anything unusual is left to
 * decodeEntry, which has the last word (see inspectEntry). A test holds it to that. The tenant
 * is returned as written: the caller compares it with the tenant it verifies.
 *
 * @internal exported for tests
 */
export function scanCanonicalEntry(text: string): EntryView | undefined {
  scanText = text;
  scanAt = 0;
  let v: number | undefined;
  let tenant: string | undefined;
  let seq: number | undefined;
  let when: string | undefined;
  let action: string | undefined;
  let actorType: string | undefined;
  let actorId: string | undefined;
  let customer: string | null = null;
  let targets = false;
  let details = false;
  let key = openObject();
  while (typeof key === 'string') {
    switch (key) {
      case 'v':
        if ((v = integer()) === undefined) return undefined;
        break;
      case 'seq':
        if ((seq = integer()) === undefined) return undefined;
        break;
      case 'tenant':
        if ((tenant = plainString()) === undefined) return undefined;
        break;
      case 'at':
        if ((when = plainString()) === undefined) return undefined;
        break;
      case 'action':
        if ((action = plainString()) === undefined) return undefined;
        break;
      case 'actor': {
        let k = openObject();
        while (typeof k === 'string') {
          if (k === 'id') actorId = plainString();
          else if (k === 'type') actorType = plainString();
          else return undefined;
          k = nextMember(k);
        }
        if (k !== null) return undefined;
        break;
      }
      case 'targets': {
        let k = openObject();
        while (typeof k === 'string') {
          if (k === 'customer') {
            const c = plainString();
            if (c === undefined) return undefined;
            customer = c;
          } else if (!skipValue()) {
            return undefined;
          }
          k = nextMember(k);
        }
        if (k !== null) return undefined;
        targets = true;
        break;
      }
      case 'details':
        if (scanText.charCodeAt(scanAt) !== 0x7b || !skipObject()) return undefined;
        details = true;
        break;
      case 'purpose':
      case 'reason':
      case 'requestId':
        if (!skipString()) return undefined;
        break;
      default:
        return undefined;
    }
    key = nextMember(key);
  }
  if (key !== null || scanAt !== scanText.length || v !== 1 || !targets || !details) return undefined;
  if (tenant === undefined || seq === undefined || seq < 0 || when === undefined) return undefined;
  const atMs = isoMillis(when);
  if (Number.isNaN(atMs) || action === undefined || actorType === undefined || actorId === undefined) return undefined;
  return { tenant, seq, at: when, atMs, action, actorType, actorId, customer };
}

/** The digits of `text` from `at` to `at + count` as a number, or NaN if one is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (!(d >= 0 && d <= 9)) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/**
 * `Date.parse(text)` for a text that ISO_MS matches, NaN for any other: what the regex and
 * Date.parse together answered, without them (they were a third of the scanner's time). It
 * follows V8's reading of the format: month 1-12, day 1-31 in any month (the 31st of February is
 * the 3rd of March), hour 24 only as 24:00:00.000 (the end of the day). A test compares the two on
 * every boundary.
 *
 * @internal exported for tests
 */
export function isoMillis(text: string): number {
  if (text.length !== 24 || text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d || text.charCodeAt(10) !== 0x54) return NaN;
  if (text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a || text.charCodeAt(19) !== 0x2e || text.charCodeAt(23) !== 0x5a) return NaN;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const ms = digitsAt(text, 20, 3);
  // NaN fails every comparison, so a non-digit anywhere ends here too.
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31 && minute <= 59 && second <= 59 && ms >= 0)) return NaN;
  if (!(hour <= 23 || (hour === 24 && minute === 0 && second === 0 && ms === 0))) return NaN;
  // Days since 1970 of the proleptic Gregorian date (H. Hinnant's days_from_civil); a day past the
  // month's end runs on into the next month, as in Date.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const days = era * 146_097 + yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear - 719_468;
  return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + ms;
}

/**
 * Reads an entry's text: the view the checks need, or why it is not an entry. The quick path
 * (scanCanonicalEntry) accepts only canonical texts of the right shape; anything else, and every
 * entry when `strict`, gets decodeEntry's full verdict (schema and canonical form).
 */
function inspectEntry(text: string, strict: boolean): EntryView | string {
  if (!strict) {
    const view = scanCanonicalEntry(text);
    if (view !== undefined) return view;
  }
  const decoded = decodeEntry(text);
  if ('error' in decoded) return decoded.error;
  const e = decoded.entry;
  return { tenant: e.tenant, seq: e.seq, at: e.at, atMs: Date.parse(e.at), action: e.action, actorType: e.actor.type, actorId: e.actor.id, customer: e.targets.customer ?? null };
}

/** `value` then a newline at `p` in `columns`: the position after it, or -1. */
function columnAt(columns: string, p: number, value: string): number {
  if (!columns.startsWith(value, p) || columns.charCodeAt(p + value.length) !== 0x0a || value.includes('\n')) return -1;
  return p + value.length + 1;
}

/** The query columns the sequencer derives from an entry (ledger.ts), compared with the stored ones. */
function columnsAgree(c: Columns, end: number, e: EntryView): boolean {
  // After the sequence number, which the row's position was checked against.
  let p = columnAt(c, c.indexOf('\n') + 1, e.action);
  if (p >= 0) p = columnAt(c, p, e.actorType);
  if (p >= 0) p = columnAt(c, p, e.actorId);
  if (p < 0) return false;
  // The column is a uuid: it reads back lowercase, and only for a customer that is a uuid.
  const q = e.customer !== null && e.customer.length === 36 ? columnAt(c, p, e.customer) : -1;
  p = q >= 0 ? q : columnAt(c, p, e.customer !== null && UUID.test(e.customer) ? e.customer.toLowerCase() : '');
  if (p < 0) return false;
  // The time, in microseconds as SQL writes a bigint: the entry's milliseconds then 000 (0 alone
  // for 0). Read in place: formatting the expected text for every entry costs more than the rest.
  const ms = e.atMs;
  if (ms === 0) return end - p === 1 && c.charCodeAt(p) === 0x30;
  const digitsEnd = end - 3;
  if (!c.startsWith('000', digitsEnd) || digitsEnd - p > 16) return false;
  const negative = c.charCodeAt(p) === 0x2d;
  let i = negative ? p + 1 : p;
  // No leading zero. A sign and at most 15 digits: exact as a double, and enough for the years
  // 0000 to 9999 that an entry's time can have (a longer number can never match).
  if (i >= digitsEnd || c.charCodeAt(i) === 0x30) return false;
  let value = 0;
  for (; i < digitsEnd; i++) {
    const digit = c.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return false;
    value = value * 10 + digit;
  }
  return (negative ? -value : value) === ms;
}

/** The entry's text with another sequence number (to recognise renumbered entries). */
function renumbered(text: string, seq: number): Buffer | undefined {
  try {
    const parsed = JSON.parse(text) as LedgerEntry;
    return leafHash(Buffer.from(encodeEntry({ ...parsed, seq }), 'utf8'));
  } catch {
    return undefined;
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

// ---- the checks shared by every source ---------------------------------------------------------

interface Placed {
  finding: Finding;
  /** Where a reader meets it: entry findings at their seq, checkpoint findings just after their last entry. */
  readonly position: number;
}

class Verifier {
  readonly frontier = new MerkleFrontier();
  /** True while row i of the stream is entry i (no gap, no extra, no shift so far). */
  aligned = true;
  /** Row seq - claimed seq, learnt from renumbered entries (inserted or deleted ones). */
  shift = 0;
  expectedSeq = 0;
  entries = 0;
  /**
   * Nodes of level `collectFrom` and up completed while appending the current page (only while
   * aligned), by level. The lower ones lie within the page and are recomputed from its leaves
   * when a page is compared node by node (pageSubtrees): collecting them for every page would be
   * two objects per entry, for the rare page that needs them.
   */
  pageNodes: { idx: number; hash: Buffer }[][] = [];
  collectNodes = false;
  collectFrom = 1;
  /** What pass 1 learnt of the last row (see {@link row}), for pass 2. */
  lastClaim = 0;
  lastFlagged = false;
  // One function for every append, not a closure per entry.
  readonly #collectNode = (level: number, idx: number, hash: Buffer): void => {
    if (level >= this.collectFrom) (this.pageNodes[level] ??= []).push({ idx, hash });
  };

  readonly #tenantId: string;
  readonly #keys: Map<string, Buffer>;
  readonly #strict: boolean;
  readonly #max: number;
  readonly #placed: Placed[] = [];
  #more = 0;
  readonly #entrySeqs = new Set<number>();
  #previousText: string | undefined;
  #pendingField: { finding: Finding; pos: number; claimed: number; rowSeq: number; repeated: boolean } | undefined;
  /** Positions that an entry seen earlier belongs at, with the claim expected there (swaps). */
  readonly #displaced = new Map<number, number>();

  // Checkpoints, checked when the tree reaches their size.
  readonly #pending: CheckpointIn[] = [];
  readonly #witness = new Map<number, CheckpointIn[]>();
  #witnessSizes: number[] = [];
  #witnessNext = 0;
  witnessRecords = 0;
  witnessChecked = 0;
  checked = 0;
  valid = 0;
  lastGoodSize = 0;
  latestGood: CheckpointIn | undefined;
  /** Validly signed checkpoints that the entries do not give, since the last one they do. */
  #mismatch: { placed: Placed | undefined; checkpoints: CheckpointIn[] } | undefined;
  /** Sizes of the source's own checkpoints. */
  readonly #sizes = new Set<number>();

  constructor(tenantId: string, keys: Map<string, Buffer>, options: { strict: boolean; maxFindings: number }) {
    this.#tenantId = tenantId;
    this.#keys = keys;
    this.#strict = options.strict;
    this.#max = options.maxFindings;
  }

  add(finding: Finding, position: number): Placed {
    const placed = { finding, position };
    if (finding.seq !== undefined && finding.size === undefined) this.#entrySeqs.add(finding.seq);
    // A ledger rewritten wholesale would otherwise fill memory with findings; past the cap they
    // are only counted (the report shows the first `maxFindings` anyway).
    if (this.#placed.length < KEEP_FINDINGS) this.#placed.push(placed);
    else this.#more += 1;
    return placed;
  }

  hasEntryFinding(seq: number): boolean {
    return this.#entrySeqs.has(seq);
  }

  /** Is some finding about an entry in [from, to]? (Explains a stored node that differs.) */
  explains(from: number, to: number): boolean {
    return this.#placed.some(({ finding: f }) => f.seq !== undefined && f.seq <= to && (f.toSeq ?? f.seq) >= from);
  }

  // -- pass 1: one row ------------------------------------------------------------------------

  /**
   * Checks one row and appends its leaf, which it returns (with what it learnt in
   * {@link lastClaim} and {@link lastFlagged}). Keeps nothing of `row` itself, so that a caller
   * may pass the same object, refilled, for every row.
   */
  row(row: Row): Buffer {
    let flagged = false;
    if (row.seq !== this.expectedSeq) {
      if (row.seq > this.expectedSeq) {
        const missing = row.seq - this.expectedSeq;
        this.add({ kind: 'deleted', seq: this.expectedSeq, ...(missing > 1 ? { toSeq: row.seq - 1 } : {}), message: missing > 1 ? `entries ${this.expectedSeq} to ${row.seq - 1} are missing` : `entry ${this.expectedSeq} is missing` }, this.expectedSeq);
      } else {
        // Only a file can have this: lines out of order, or one repeated.
        const duplicate = row.text === this.#previousText;
        this.add({ kind: duplicate ? 'inserted' : 'reordered', seq: row.seq, message: duplicate ? `entry ${row.seq} appears twice` : `entry ${row.seq} comes after entry ${this.expectedSeq - 1}` }, row.seq);
        flagged = true;
      }
      this.aligned = false;
    }
    this.expectedSeq = Math.max(this.expectedSeq, row.seq + 1);
    const repeated = row.text === this.#previousText;
    this.#previousText = row.text;
    const leaf = leafHashOfText(row.text);
    let claim = row.seq - this.shift;

    if (!flagged) {
      const view = inspectEntry(row.text, this.#strict);
      if (typeof view === 'string') {
        this.#resolveField(undefined, row.seq);
        this.add({ kind: 'malformed', seq: row.seq, message: `entry ${row.seq}: ${view}` }, row.seq);
        flagged = true;
      } else {
        const handled = this.#resolveField(view.seq, row.seq);
        claim = view.seq;
        if (view.tenant !== this.#tenantId) {
          this.add(
            UUID.test(view.tenant)
              ? { kind: 'inserted', seq: row.seq, message: `entry ${row.seq} belongs to another tenant (${view.tenant})` }
              : { kind: 'malformed', seq: row.seq, message: `entry ${row.seq}: its tenant is not a uuid` },
            row.seq,
          );
          flagged = true;
        } else if (!handled && view.seq !== row.seq - this.shift) {
          flagged = this.#fieldAnomaly(view.seq, row.seq, repeated);
        }
        if (!flagged && row.columns !== undefined && !columnsAgree(row.columns, row.columnsEnd ?? row.columns.length, view)) {
          this.add({ kind: 'edited', seq: row.seq, message: `entry ${row.seq}: its query columns (action, actor, customer, time) disagree with its text` }, row.seq);
          flagged = true;
        }
        if (!flagged && row.recordedLeaf !== undefined && !sameBytes(row.recordedLeaf, leaf)) {
          this.add({ kind: 'edited', seq: row.seq, message: `entry ${row.seq}: its text does not match the leaf hash recorded when it was sequenced` }, row.seq);
          flagged = true;
        }
      }
    }

    if (this.aligned && this.frontier.size !== row.seq) this.aligned = false;
    this.settle();
    // The leaf is kept in `infos` for pass 2 and never changed, so the tree may share it.
    if (this.collectNodes && this.aligned) {
      this.frontier.appendOwned(leaf, this.#collectNode);
    } else {
      this.frontier.appendOwned(leaf);
    }
    this.entries += 1;
    this.lastClaim = claim;
    this.lastFlagged = flagged;
    return leaf;
  }

  /**
   * An entry whose own `seq` is not its position. One row cannot tell a deletion (later entries
   * renumbered down) from a swap or an insertion, so the finding is placed now and its kind
   * settled by the next row.
   */
  #fieldAnomaly(claimed: number, rowSeq: number, repeated: boolean): boolean {
    const pos = rowSeq - this.shift;
    const expected = this.#displaced.get(pos);
    if (expected !== undefined && expected === claimed) {
      // The other half of a swap already reported.
      this.#displaced.delete(pos);
      return true;
    }
    const finding: Finding =
      claimed > pos
        ? { kind: 'deleted', seq: rowSeq, message: `entry ${rowSeq} says it is entry ${claimed}` }
        : { kind: 'inserted', seq: rowSeq, message: `entry ${rowSeq} says it is entry ${claimed}` };
    this.add(finding, rowSeq);
    this.#pendingField = { finding, pos, claimed, rowSeq, repeated };
    return true;
  }

  /** Settles the pending anomaly with the next row's claim; true when this row is explained by it. */
  #resolveField(next: number | undefined, rowSeq: number): boolean {
    const pending = this.#pendingField;
    if (pending === undefined) return false;
    this.#pendingField = undefined;
    const { finding, pos: p, claimed: c } = pending;
    if (next === undefined) return false;
    const o = rowSeq - this.shift;
    if (c > p) {
      if (next === p) {
        finding.kind = 'reordered';
        finding.toSeq = rowSeq;
        finding.message = `entries ${pending.rowSeq} and ${rowSeq} are swapped`;
        return true;
      }
      if (next - o === c - p) {
        finding.kind = 'deleted';
        if (c - p > 1) finding.toSeq = pending.rowSeq + (c - p) - 1;
        finding.message = c - p > 1 ? `entries ${p} to ${c - 1} were deleted and the later ones renumbered` : `entry ${p} was deleted and the later ones renumbered`;
        this.shift -= c - p;
        this.aligned = false;
        return true;
      }
      finding.kind = 'reordered';
      finding.toSeq = pending.rowSeq + (c - p);
      finding.message = `entry ${c} is at position ${pending.rowSeq}`;
      this.#displaced.set(c, p);
      return false;
    }
    // c < p: the entry at p claims an earlier position. Two rows now claim c; which one is the
    // intruder shows in the stored leaf hashes (pass 2), not here. A row repeating the one before
    // it is the copy; otherwise the first of them is taken for the inserted one.
    if (pending.repeated && next === o - 1) {
      finding.kind = 'inserted';
      finding.message = `entry ${pending.rowSeq} was inserted (a copy of entry ${c}); the later entries are shifted up by one`;
      this.shift += 1;
      this.aligned = false;
      return true;
    }
    if (next - o === c - p) {
      const count = p - c;
      finding.kind = 'inserted';
      finding.seq = pending.rowSeq - count;
      if (count > 1) finding.toSeq = pending.rowSeq - 1;
      finding.message = count > 1 ? `entries ${finding.seq} to ${pending.rowSeq - 1} were inserted; the later entries are shifted up` : `entry ${finding.seq} was inserted; the later entries are shifted up`;
      this.#entrySeqs.add(finding.seq);
      this.shift += count;
      this.aligned = false;
      return true;
    }
    if (next === o - 1) {
      finding.kind = 'inserted';
      finding.message = `entry ${pending.rowSeq} was inserted (a copy of entry ${c}); the later entries are shifted up by one`;
      this.shift += 1;
      this.aligned = false;
      return true;
    }
    if (next === o) {
      finding.kind = 'edited';
      finding.message = `entry ${pending.rowSeq} was replaced by a copy of entry ${c}`;
      return false;
    }
    finding.kind = 'reordered';
    finding.message = `entry ${c} is at position ${pending.rowSeq}`;
    return false;
  }

  // -- checkpoints -------------------------------------------------------------------------------

  /**
   * A checkpoint from the source (database or archive). Checked against the tree of its size
   * just before the tree grows past it, together with the witness's record of that size.
   */
  addCheckpoint(c: CheckpointIn): void {
    this.#sizes.add(c.size);
    if (c.size < this.frontier.size) {
      // Only an archive can have this: the line comes after entries it does not cover.
      this.checked += 1;
      if (!this.#signatureOk(c)) this.#badSignature(c);
      else this.valid += 1;
      this.add({ kind: 'malformed', size: c.size, where: c.where, message: `the line of checkpoint ${c.size} comes after entry ${this.frontier.size - 1}, not after entry ${c.size - 1}` }, c.size - 0.5);
      return;
    }
    // Kept in size order; they arrive in order from every source.
    let i = this.#pending.length;
    while (i > 0 && (this.#pending[i - 1] as CheckpointIn).size > c.size) i -= 1;
    this.#pending.splice(i, 0, c);
  }

  addWitness(records: CheckpointIn[]): void {
    for (const r of records) {
      const list = this.#witness.get(r.size) ?? [];
      // Delivery is at least once: the same record twice is not a problem.
      if (!list.some((o) => sameBytes(o.root, r.root) && sameBytes(o.signature, r.signature) && o.time === r.time && o.keyId === r.keyId)) list.push(r);
      this.#witness.set(r.size, list);
      this.witnessRecords += 1;
    }
    this.#witnessSizes = [...this.#witness.keys()].sort((a, b) => a - b);
  }

  #signatureOk(c: CheckpointIn): boolean {
    const key = this.#keys.get(c.keyId);
    return key !== undefined && verifyCheckpoint({ tenantId: this.#tenantId, size: c.size, root: c.root, at: c.time }, c.signature, key);
  }

  #badSignature(c: CheckpointIn): void {
    const unknown = !this.#keys.has(c.keyId);
    this.add(
      {
        kind: 'bad_signature',
        size: c.size,
        where: c.where,
        message: unknown ? `checkpoint ${c.size} (${c.where}) is signed with key ${c.keyId}, which is not a known signing key` : `checkpoint ${c.size} (${c.where}): the signature does not verify`,
      },
      c.size - 0.5,
    );
  }

  /** Checks the checkpoints and witness records of the current tree size (called before each append and at the end). */
  settle(): void {
    const size = this.frontier.size;
    const own: CheckpointIn[] = [];
    while (this.#pending[0] !== undefined && this.#pending[0].size === size) own.push(this.#pending.shift() as CheckpointIn);
    const witnessed: CheckpointIn[] = [];
    while (this.#witnessSizes[this.#witnessNext] !== undefined && (this.#witnessSizes[this.#witnessNext] as number) <= size) {
      const s = this.#witnessSizes[this.#witnessNext] as number;
      this.#witnessNext += 1;
      if (s === size) witnessed.push(...(this.#witness.get(s) ?? []));
    }
    if (own.length === 0 && witnessed.length === 0) return;
    const root = this.frontier.root();
    const validOwn: CheckpointIn[] = [];
    for (const c of own) {
      this.checked += 1;
      if (!this.#signatureOk(c)) {
        this.#badSignature(c);
        continue;
      }
      this.valid += 1;
      validOwn.push(c);
      this.#compare(c, root);
    }
    for (const w of witnessed) {
      this.witnessChecked += 1;
      if (!this.#signatureOk(w)) {
        this.#badSignature(w);
        continue;
      }
      if (own.length === 0) {
        this.add({ kind: 'deleted', size: w.size, where: 'witness', message: `checkpoint ${w.size}, held by the witness, is missing here` }, w.size - 0.5);
        this.#compare(w, root);
      } else if (!own.some((c) => sameBytes(c.root, w.root) && c.time === w.time && c.keyId === w.keyId && sameBytes(c.signature, w.signature))) {
        this.add({ kind: 'forked_checkpoint', size: w.size, where: own[0]?.where ?? 'database', message: `checkpoint ${w.size} here differs from the one the witness holds (two signed trees of one size)` }, w.size - 0.5);
        if (!validOwn.some((c) => sameBytes(c.root, w.root))) this.#compare(w, root);
      }
    }
  }

  /** A validly signed checkpoint against the recomputed root of its size. */
  #compare(c: CheckpointIn, root: Buffer): void {
    if (sameBytes(c.root, root)) {
      // A match after mismatches: those were validly signed over another tree (forks); entries
      // edited under them would have changed this root too.
      if (this.#mismatch !== undefined) {
        const { placed, checkpoints } = this.#mismatch;
        for (const [i, f] of checkpoints.entries()) {
          const fork: Finding = { kind: 'forked_checkpoint', size: f.size, where: f.where, message: `checkpoint ${f.size} (${f.where}) is validly signed but not a prefix of the tree that checkpoint ${c.size} confirms` };
          if (i === 0 && placed !== undefined) {
            delete placed.finding.seq;
            delete placed.finding.toSeq;
            Object.assign(placed.finding, fork);
          } else {
            this.add(fork, f.size - 0.5);
          }
        }
        this.#mismatch = undefined;
      }
      this.lastGoodSize = c.size;
      this.latestGood = c;
      return;
    }
    if (this.#mismatch !== undefined) {
      this.#mismatch.checkpoints.push(c);
      return;
    }
    const from = this.lastGoodSize;
    // Already explained by a finding about those entries: the checkpoint adds nothing to it.
    if (this.explains(from, c.size - 1)) {
      this.#mismatch = { placed: undefined, checkpoints: [c] };
      return;
    }
    const finding: Finding = {
      kind: 'edited',
      seq: from,
      ...(c.size - 1 > from ? { toSeq: c.size - 1 } : {}),
      size: c.size,
      where: c.where,
      message: `the entries no longer give the root that checkpoint ${c.size} (${c.where}) signed: something in entries ${from} to ${c.size - 1} changed since`,
    };
    this.#mismatch = { placed: this.add(finding, c.size - 0.5), checkpoints: [c] };
  }

  // -- the end -----------------------------------------------------------------------------------

  finish(): void {
    this.settle();
    if (this.#pendingField !== undefined) {
      const { finding, pos, claimed } = this.#pendingField;
      this.#pendingField = undefined;
      if (claimed > pos) finding.message = `the last entry says it is entry ${claimed}: entries ${pos} to ${claimed - 1} were deleted`;
    }
    // Signed checkpoints (and witnessed ones) past the entries here.
    const beyond = this.#pending.splice(0);
    for (const s of this.#witnessSizes.slice(this.#witnessNext)) beyond.push(...(this.#witness.get(s) ?? []));
    let tail: number | undefined;
    for (const c of beyond) {
      if (c.where === 'witness') this.witnessChecked += 1;
      else this.checked += 1;
      if (!this.#signatureOk(c)) {
        this.#badSignature(c);
        continue;
      }
      if (c.where !== 'witness') this.valid += 1;
      // One covered by sequence numbers while the tree is shorter is explained by the entries
      // already reported missing; one past every sequence number is evidence of more.
      if (c.size > this.originalCount) tail = Math.max(tail ?? 0, c.size);
    }
    if (tail !== undefined) this.tailDeleted(tail, 'a validly signed checkpoint');
    this.#mismatch = undefined;
  }

  sawCheckpoint(size: number): boolean {
    return this.#sizes.has(size);
  }

  /** Entries as numbered when they were sequenced: what the tree head and checkpoints count. */
  get originalCount(): number {
    return this.expectedSeq - this.shift;
  }

  /** Entries from expectedSeq to `size - 1` are gone (unless renumbering already explains it). */
  tailDeleted(size: number, evidence: string): void {
    const from = this.expectedSeq;
    if (size <= this.originalCount || this.hasEntryFinding(from)) return;
    this.add({ kind: 'deleted', seq: from, ...(size - 1 > from ? { toSeq: size - 1 } : {}), message: `${evidence} covers ${size} entries, but only entries up to ${from - 1} are here: ${size - from} deleted from the end` }, from);
  }

  report(source: 'database' | 'archive', keys: VerifyReport['keys'], extra: { queued: number | null; witness: boolean; started: number }): VerifyReport {
    const placed = [...this.#placed].sort((a, b) => a.position - b.position);
    const findings = placed.slice(0, this.#max).map((p) => p.finding);
    const latest = this.latestGood;
    return {
      ok: placed.length === 0 && this.#more === 0,
      tenant: this.#tenantId,
      source,
      entries: this.entries,
      size: this.frontier.size,
      root: this.frontier.root().toString('base64'),
      keys,
      checkpoints: {
        checked: this.checked,
        valid: this.valid,
        latest: latest === undefined ? null : { size: latest.size, root: latest.root.toString('base64'), time: latest.time, keyId: latest.keyId },
      },
      witness: extra.witness ? { records: this.witnessRecords, checked: this.witnessChecked } : null,
      queued: extra.queued,
      unsigned: Math.max(0, this.frontier.size - (latest?.size ?? 0)),
      findings,
      moreFindings: placed.length - findings.length + this.#more,
      elapsedMs: Math.round(performance.now() - extra.started),
    };
  }
}

// ---- keys and witness ------------------------------------------------------------------------

function keyMap(keys: readonly Uint8Array[]): Map<string, Buffer> {
  return new Map(keys.map((k) => [keyIdOf(k), Buffer.from(k)]));
}

function base64Bytes(value: unknown, length: number): Buffer | undefined {
  if (typeof value !== 'string' || !BASE64.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === length && bytes.toString('base64') === value ? bytes : undefined;
}

/** A checkpoint as written in an archive or witness line, or undefined when malformed. */
function checkpointOf(value: Record<string, unknown>, time: unknown, where: CheckpointIn['where']): CheckpointIn | undefined {
  const size = value.size;
  const root = base64Bytes(value.root, 32);
  const signature = base64Bytes(value.signature, 64);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1 || root === undefined || signature === undefined) return undefined;
  if (typeof time !== 'string' || !ISO_MS.test(time) || typeof value.keyId !== 'string' || value.keyId.length > 64) return undefined;
  return { size, root, time, keyId: value.keyId, signature, where };
}

/** The witness records of one tenant (lines of other tenants are skipped). */
async function readWitness(file: string, tenantId: string, v: Verifier): Promise<void> {
  const records: CheckpointIn[] = [];
  for await (const line of readLines(file)) {
    if (line.text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch {
      value = undefined;
    }
    const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
    if (record !== undefined && record.tenant !== tenantId && typeof record.tenant === 'string') continue;
    const c = record === undefined ? undefined : checkpointOf(record, record.time, 'witness');
    if (c === undefined) {
      v.add({ kind: 'malformed', where: 'witness', message: `witness file line ${line.number} is not a checkpoint record` }, Number.MAX_SAFE_INTEGER);
      continue;
    }
    records.push(c);
  }
  v.addWitness(records);
}

// ---- source A: the database --------------------------------------------------------------------

/** Nodes (level, idx) completed by appending leaves [from, to): idx in [ceil((from+1)/2^L) - 1, floor(to/2^L) - 1]. */
function nodeRanges(from: number, to: number, minLevel: number): { level: number; lo: number; hi: number }[] {
  const out: { level: number; lo: number; hi: number }[] = [];
  for (let level = minLevel, width = 2 ** minLevel; width <= to && level <= 62; level += 1, width *= 2) {
    const lo = Math.ceil((from + 1) / width) - 1;
    const hi = Math.floor(to / width) - 1;
    if (hi >= lo) out.push({ level, lo, hi });
  }
  return out;
}

async function storedNodes(tx: Tx, tenantId: string, ranges: readonly { level: number; lo: number; hi: number }[]): Promise<Map<number, Map<number, Uint8Array>>> {
  const byLevel = new Map<number, Map<number, Uint8Array>>();
  if (ranges.length === 0) return byLevel;
  const rows = await tx
    .selectFrom('ledger_nodes')
    .select(['level', 'idx', 'hash'])
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or(ranges.map((r) => eb.and([eb('level', '=', r.level), eb('idx', '>=', r.lo), eb('idx', '<=', r.hi)]))))
    .execute();
  for (const r of rows) {
    let level = byLevel.get(r.level);
    if (level === undefined) byLevel.set(r.level, (level = new Map()));
    level.set(r.idx, r.hash);
  }
  return byLevel;
}

async function storedLeavesFor(tx: Tx, tenantId: string, claims: readonly number[]): Promise<Map<number, Uint8Array>> {
  const wanted = [...new Set(claims.flatMap((c) => [c, c + 1]))].sort((a, b) => a - b);
  if (wanted.length === 0) return new Map();
  const lo = wanted[0] as number;
  const hi = wanted.at(-1) as number;
  let query = tx.selectFrom('ledger_nodes').select(['idx', 'hash']).where('tenant_id', '=', tenantId).where('level', '=', 0);
  // A contiguous range is one index scan; claims scattered by tampering are asked for by value.
  query = hi - lo < 4 * wanted.length ? query.where('idx', '>=', lo).where('idx', '<=', hi) : query.where('idx', 'in', wanted);
  const rows = await query.execute();
  return new Map(rows.map((r) => [r.idx, r.hash]));
}

interface DbContext {
  readonly tx: Tx;
  readonly tenantId: string;
  readonly v: Verifier;
  readonly headSize: number;
  /** Set once renumbered (re-encoded) entries make entry-by-entry comparison meaningless. */
  leafChecksOff: boolean;
  /** The latest finding of entries without a stored leaf hash (extended while they run on). */
  missing?: Finding & { seq: number };
}

/**
 * Pass 2 of a page: every entry's leaf against the leaf hash stored when it was sequenced (at the
 * position it claims), and, while the tree lines up, every stored node completed in the page.
 */
async function comparePage(d: DbContext, rows: readonly Row[], info: PageInfo, pageFrom: number, pageTo: number, aligned: boolean): Promise<void> {
  const { v } = d;
  if (!d.leafChecksOff) {
    const leaves = await storedLeavesFor(d.tx, d.tenantId, [...info.claims]);
    for (let i = 0; i < rows.length && !d.leafChecksOff; i++) {
      const row = rows[i] as Row;
      const claim = info.claims[i] as number;
      if (info.flagged[i] === 1 || v.hasEntryFinding(row.seq)) continue;
      const stored = leaves.get(claim);
      if (stored !== undefined && sameBytes(stored, info.leaves[i] as Buffer)) continue;
      if (stored === undefined) {
        const kind = claim >= d.headSize ? 'inserted' : 'edited';
        // A run of them (stored hashes deleted wholesale) is one finding, not one per entry.
        const run = d.missing;
        if (run !== undefined && run.kind === kind && (run.toSeq ?? run.seq) === row.seq - 1) {
          run.toSeq = row.seq;
          run.message = kind === 'inserted' ? `entries ${run.seq} to ${row.seq} are not in the tree the sequencer built (it has ${d.headSize} entries)` : `entries ${run.seq} to ${row.seq}: the leaf hashes stored when they were sequenced are missing`;
          continue;
        }
        d.missing = v.add(
          kind === 'inserted'
            ? { kind, seq: row.seq, message: `entry ${row.seq} is not in the tree the sequencer built (it has ${d.headSize} entries)` }
            : { kind, seq: row.seq, message: `entry ${row.seq}: the leaf hash stored when it was sequenced is missing` },
          row.seq,
        ).finding as Finding & { seq: number };
        continue;
      }
      // Renumbered entries (re-encoded with new sequence numbers) hash differently everywhere
      // after the change; recognise the first and stop comparing one by one.
      const next = rows[i + 1];
      const nextAsThis = next === undefined ? undefined : renumbered(next.text, claim);
      const thisAsNext = leaves.get(claim + 1);
      if (nextAsThis !== undefined && sameBytes(nextAsThis, stored)) {
        v.add({ kind: 'inserted', seq: row.seq, message: `entry ${row.seq} was inserted; the later entries were shifted up and renumbered` }, row.seq);
        d.leafChecksOff = true;
      } else if (thisAsNext !== undefined && sameBytes(renumbered(row.text, claim + 1) ?? Buffer.alloc(0), thisAsNext)) {
        v.add({ kind: 'deleted', seq: row.seq, message: `entry ${row.seq} was deleted; the later entries were shifted down and renumbered` }, row.seq);
        d.leafChecksOff = true;
      } else {
        v.add({ kind: 'edited', seq: row.seq, message: `entry ${row.seq}: its text is not what was sequenced (its leaf hash differs from the stored one)` }, row.seq);
      }
    }
  }
  if (!aligned) return;
  // Every node completed in the page, lowest level first; a node already explained by an entry
  // finding below it is not reported again.
  const stored = await storedNodes(d.tx, d.tenantId, nodeRanges(pageFrom, pageTo, 1));
  const within = pageSubtrees(info.leaves, pageFrom, v.collectFrom);
  for (let level = 1; level < Math.max(within.length, v.pageNodes.length); level++) {
    for (const node of (level < v.collectFrom ? within[level] : v.pageNodes[level]) ?? []) {
      const s = stored.get(level)?.get(node.idx);
      if (s !== undefined && sameBytes(s, node.hash)) continue;
      const from = node.idx * 2 ** level;
      const to = from + 2 ** level - 1;
      if (v.explains(from, to)) continue;
      v.add(
        {
          kind: 'edited',
          seq: from,
          toSeq: to,
          message: s === undefined ? `the stored tree node over entries ${from} to ${to} is missing` : `the stored tree node over entries ${from} to ${to} does not match them (proofs that use it fail)`,
        },
        from,
      );
    }
  }
}

/**
 * The nodes of levels 1 to `belowLevel - 1` over a page's leaves, the first of which is leaf
 * `from`: those of its complete aligned subtrees (`from` is a multiple of 2^(belowLevel - 1)
 * and more, pages being aligned), as the frontier completed them while the page was appended.
 */
function pageSubtrees(leaves: readonly Buffer[], from: number, belowLevel: number): { idx: number; hash: Buffer }[][] {
  const out: { idx: number; hash: Buffer }[][] = [];
  let lower: readonly Buffer[] = leaves;
  for (let level = 1; level < belowLevel && lower.length >= 2; level++) {
    const upper: Buffer[] = [];
    for (let i = 0; i + 1 < lower.length; i += 2) upper.push(nodeHash(lower[i] as Buffer, lower[i + 1] as Buffer));
    const first = from / 2 ** level;
    out[level] = upper.map((hash, i) => ({ idx: first + i, hash }));
    lower = upper;
  }
  return out;
}

/**
 * Verifies the ledger of `tenantId` in the database: entries, stored tree nodes, checkpoints and
 * the tree head, read in one tenant transaction that holds the tenant's sequencer lock (the
 * sequencer waits, nothing is lost: entries stay queued meanwhile).
 */
export async function verifyDatabase(db: Database, tenantId: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const page = pageSizeOf(options.pageSize);
  const full = options.full === true;
  return db.withTenant(tenantId, async (tx) => {
    await lockLedger(tx, tenantId);
    const storedKeys = await tx.selectFrom('ledger_signing_keys').select(['id', 'public_key']).execute();
    const keys = options.trustedKeys === undefined ? new Map(storedKeys.map((k) => [k.id, Buffer.from(k.public_key)])) : keyMap(options.trustedKeys);
    const v = new Verifier(tenantId, keys, { strict: full, maxFindings: options.maxFindings ?? 100 });
    if (options.witness !== undefined) await readWitness(options.witness, tenantId, v);
    const head = await tx.selectFrom('ledger_heads').select(['size', 'root', 'frontier', 'checkpointed_size']).where('tenant_id', '=', tenantId).executeTakeFirst();
    const queued = Number((await tx.selectFrom('ledger_queue').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow()).n);
    const d: DbContext = { tx, tenantId, v, headSize: head?.size ?? 0, leafChecksOff: false };
    const pageLevel = Math.log2(page);

    let checkpointsUpTo = 0;
    const takeCheckpoints = async (upTo: number): Promise<void> => {
      const rows = await checkpointRows(tx, tenantId, checkpointsUpTo, upTo);
      checkpointsUpTo = upTo;
      for (const r of rows) v.addCheckpoint({ size: r.size, root: Buffer.from(r.root), time: r.at.toISOString(), keyId: r.key_id, signature: Buffer.from(r.signature), where: 'database' });
    };

    const columns = sql<string>`concat_ws(chr(10), seq, action, actor_type, actor_id, coalesce(customer_id::text, ''), (extract(epoch from at) * 1000000)::bigint)`;
    const fetchRows = async (lo: number, hi: number): Promise<string[]> => {
      // Bounded ranges, not `seq >= from limit n`: without planner statistics (PGlite) the latter
      // sorts every remaining row for each page. Each row is one field, its columns then its
      // text (see columnsEnd).
      const rows = await tx
        .selectFrom('ledger_entries')
        .select(sql<string>`concat_ws(chr(10), ${columns}, entry)`.as('row'))
        .where('tenant_id', '=', tenantId)
        .where('seq', '>=', lo)
        .where('seq', '<', hi)
        .orderBy('seq')
        .execute();
      return rows.map((r) => r.row);
    };
    /**
     * The rows of [lo, hi) as one field, joined by a record separator (chr(30)): the drivers pay
     * per field more than per byte (PGlite copies each field into a buffer of its own and decodes
     * it apart), so this reads a page in about three quarters of the time on PGlite. Not on
     * PostgreSQL: there the rows stream from the other core while earlier ones are parsed, and a
     * joined field would make the client wait for the server to build it (measured: 12-13 s of
     * wall time for 1,000,000 entries instead of 8-9, for the same CPU time). The split is
     * certain only when it gives exactly as many parts as there are rows, that is when no row
     * holds the separator (the canonical text never does; a tampered one may). Rows longer than
     * JOIN_ROW_MAX bytes are left out of the join (a field, and a string, have limits: 1 GB in
     * PostgreSQL, 2^29 characters in V8, and a tampered entry can be long). Either way the range
     * is then read again a row a field. (`offset 0` keeps the subquery apart, so that each row
     * is built once, not once for each of the three uses.)
     */
    const fetchJoined = async (lo: number, hi: number): Promise<string[]> => {
      const joined = await sql<{ rows: string | null; joined: string | number; n: string | number }>`
        select string_agg(r, chr(30) order by seq) filter (where octet_length(r) <= ${JOIN_ROW_MAX}) as rows,
          count(*) filter (where octet_length(r) <= ${JOIN_ROW_MAX}) as joined, count(*) as n
        from (select seq, concat_ws(chr(10), ${columns}, entry) as r from ledger_entries
              where tenant_id = ${tenantId} and seq >= ${lo} and seq < ${hi} offset 0) as page`.execute(tx);
      const row = joined.rows[0];
      const count = Number(row?.n ?? 0);
      if (count === 0) return [];
      if (row === undefined || row.rows === null || Number(row.joined) !== count) return fetchRows(lo, hi);
      const parts = row.rows.split('\x1e');
      return parts.length === count ? parts : fetchRows(lo, hi);
    };
    const fetchPage = (from: number) => {
      let query: Promise<string[]>;
      if (db.kind === 'pglite') {
        // At most JOIN_MAX rows a field, whatever the page size.
        const ranges: Promise<string[]>[] = [];
        for (let lo = from; lo < from + page; lo += JOIN_MAX) ranges.push(fetchJoined(lo, Math.min(from + page, lo + JOIN_MAX)));
        query = ranges.length === 1 ? (ranges[0] as Promise<string[]>) : Promise.all(ranges).then((parts) => parts.flat());
      } else query = fetchRows(from, from + page);
      query.catch(() => undefined); // awaited below; this only keeps an early exit from leaving it unhandled
      return query;
    };
    /** Rows whose single field cannot be split for certain, read again as two fields, by seq. */
    const fetchApart = async (seqs: readonly number[]): Promise<Map<number, { text: string; columns: Columns }>> => {
      const rows = await tx.selectFrom('ledger_entries').select(['seq', 'entry as text', columns.as('columns')]).where('tenant_id', '=', tenantId).where('seq', 'in', seqs).execute();
      return new Map(rows.map((r) => [r.seq, { text: r.text, columns: r.columns }]));
    };
    let next = fetchPage(0);
    for (let from = 0; ; ) {
      const raw = await next;
      if (raw.length === 0) {
        // As text: a number past 2^53 would come back rounded, and the range read from it would
        // miss the row it was meant to find.
        const after = await tx.selectFrom('ledger_entries').select(sql<string | null>`min(seq)::text`.as('seq')).where('tenant_id', '=', tenantId).where('seq', '>=', from).executeTakeFirst();
        if (after?.seq === null || after?.seq === undefined) break;
        const nextSeq = Number(after.seq);
        if (!Number.isSafeInteger(nextSeq + page)) {
          v.add({ kind: 'inserted', message: `an entry claims sequence number ${after.seq}, which no ledger reaches: it was not put there by the sequencer (entries past it were not read)` }, Number.MAX_SAFE_INTEGER - 2);
          break;
        }
        from = Math.floor(nextSeq / page) * page;
        next = fetchPage(from);
        continue;
      }
      const to = from + page;
      const alignedAtStart = v.aligned && v.frontier.size === from;
      const fastPath = !full && alignedAtStart && raw.length === page;
      // The small reads this page needs, then the next page. The client sends a transaction's
      // queries one at a time, each from the event loop, which the synchronous checks below do
      // not return to: so the next page must be on its way before they start (the yield), or the
      // server would only begin reading it after them.
      const checkpointsRead = takeCheckpoints(to);
      const pageNodesRead = fastPath ? storedNodes(tx, tenantId, nodeRanges(from, to, pageLevel)) : undefined;
      pageNodesRead?.catch(() => undefined);
      next = fetchPage(to);
      await checkpointsRead;
      await pageNodesRead;
      await new Promise<void>((resolve) => setImmediate(resolve));
      const ends = new Int32Array(raw.length);
      const apart: number[] = [];
      for (let i = 0; i < raw.length; i++) {
        const end = columnsEnd(raw[i] as string);
        ends[i] = end;
        if (end < 0) apart.push(seqOf(raw[i] as string));
      }
      const readApart = apart.length === 0 ? undefined : await fetchApart(apart);
      v.pageNodes = [];
      v.collectNodes = alignedAtStart;
      v.collectFrom = pageLevel;
      const info: PageInfo = { leaves: new Array<Buffer>(raw.length), claims: new Float64Array(raw.length), flagged: new Uint8Array(raw.length) };
      const texts = new Array<string>(raw.length);
      // One row object, refilled for each row (Verifier.row keeps nothing of it).
      const row: Row = { seq: 0, text: '', columns: '', columnsEnd: 0 };
      for (let i = 0; i < raw.length; i++) {
        const field = raw[i] as string;
        row.seq = seqOf(field);
        const end = ends[i] as number;
        const alone = end < 0 ? readApart?.get(row.seq) : undefined;
        // A row that changed between the two reads cannot happen (one transaction, one snapshot).
        row.text = alone === undefined ? field.slice(end + 1) : alone.text;
        row.columns = alone === undefined ? field : alone.columns;
        row.columnsEnd = alone === undefined ? end : alone.columns.length;
        texts[i] = row.text;
        info.leaves[i] = v.row(row);
        info.claims[i] = v.lastClaim;
        if (v.lastFlagged) info.flagged[i] = 1;
      }
      const stillAligned = alignedAtStart && v.aligned;
      // The last, partial page is always compared entry by entry (it completes no page node).
      let detailed = !fastPath || !stillAligned;
      if (pageNodesRead !== undefined) {
        // The page's node (and any larger ones it completes) against the recomputed ones.
        const stored = await pageNodesRead;
        for (let level = pageLevel; level < v.pageNodes.length && !detailed; level++) {
          for (const node of v.pageNodes[level] ?? []) {
            const s = stored.get(level)?.get(node.idx);
            if (s === undefined || !sameBytes(s, node.hash)) detailed = true;
          }
        }
      }
      if (detailed) await comparePage(d, texts.map((text, i) => ({ seq: seqOf(raw[i] as string), text })), info, from, from + raw.length, stillAligned);
      from = to;
    }
    await takeCheckpoints(Number.MAX_SAFE_INTEGER);
    v.finish();

    // The tree head: what the sequencer will extend next.
    if (head === undefined) {
      if (v.entries > 0) v.add({ kind: 'inserted', seq: 0, message: 'there are entries but no tree head: they were not put there by the sequencer' }, 0);
    } else {
      let frontier: MerkleFrontier | undefined;
      try {
        frontier = MerkleFrontier.fromJSON(head.frontier);
      } catch {
        frontier = undefined;
      }
      if (frontier === undefined || frontier.size !== head.size || !sameBytes(frontier.root(), head.root)) {
        v.add({ kind: 'malformed', message: 'the tree head is corrupt (its frontier does not give its root): the sequencer will refuse to extend the tree' }, Number.MAX_SAFE_INTEGER - 1);
      }
      // The sequencer notes the size of the last checkpoint it signed: a tripwire for deleted checkpoints.
      if (head.checkpointed_size > 0 && !v.sawCheckpoint(head.checkpointed_size)) {
        v.add({ kind: 'deleted', size: head.checkpointed_size, where: 'database', message: `the tree head says a checkpoint was signed at size ${head.checkpointed_size}, but there is none` }, head.checkpointed_size - 0.5);
      }
      if (head.size > v.originalCount) v.tailDeleted(head.size, 'the tree head');
      else if (head.size < v.originalCount && !v.hasEntryFinding(head.size)) {
        v.add({ kind: 'inserted', seq: head.size, message: `entries from ${head.size} on are past the tree head (${head.size} entries): they were not put there by the sequencer` }, head.size);
      } else if (head.size === v.frontier.size && v.aligned && !sameBytes(head.root, v.frontier.root()) && !v.explains(v.lastGoodSize, Math.max(v.lastGoodSize, head.size - 1))) {
        v.add(
          { kind: 'edited', seq: v.lastGoodSize, ...(head.size - 1 > v.lastGoodSize ? { toSeq: head.size - 1 } : {}), message: `the tree head's root differs from the entries after the last matching checkpoint (${v.lastGoodSize})` },
          head.size - 0.5,
        );
      }
    }
    return v.report('database', options.trustedKeys === undefined ? 'database' : (options.trustedKeysFrom ?? 'given'), { queued, witness: options.witness !== undefined, started });
  });
}

function pageSizeOf(size: number | undefined): number {
  if (size === undefined) return DEFAULT_PAGE;
  if (!Number.isSafeInteger(size) || size < 2 || size > 1 << 20 || (size & (size - 1)) !== 0) throw new TypeError('pageSize must be a power of two between 2 and 2^20');
  return size;
}

// ---- source B: an archive file -------------------------------------------------------------------

function parseLine(line: FileLine): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line.text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies an archive file (archive.ts) without any database: the same checks on entries and
 * checkpoints, with the leaf hashes the file records instead of the stored nodes, and the end line
 * against truncation. `tenantId`, when given, must be the archive's.
 */
export async function verifyArchive(file: string, options: VerifyOptions & { tenantId?: string } = {}): Promise<VerifyReport> {
  const started = performance.now();
  const lines = readLines(file);
  const first = await lines.next();
  const header = first.done === true ? undefined : parseLine(first.value);
  const keys = Array.isArray(header?.keys) ? (header.keys as unknown[]) : [];
  const headerKeys = keys.flatMap((k) => {
    const raw = typeof k === 'object' && k !== null ? base64Bytes((k as Record<string, unknown>).publicKey, 32) : undefined;
    return raw === undefined ? [] : [raw];
  });
  const tenant = typeof header?.tenant === 'string' && UUID.test(header.tenant) ? header.tenant.toLowerCase() : undefined;
  const v = new Verifier(tenant ?? options.tenantId ?? '00000000-0000-0000-0000-000000000000', keyMap(options.trustedKeys ?? headerKeys), {
    strict: options.full === true,
    maxFindings: options.maxFindings ?? 100,
  });
  const keySource = options.trustedKeys === undefined ? 'archive' : (options.trustedKeysFrom ?? 'given');
  const done = (): VerifyReport => v.report('archive', keySource, { queued: null, witness: options.witness !== undefined, started });
  if (first.done === true) {
    v.add({ kind: 'truncated', seq: 0, where: 'archive', message: 'the file is empty' }, 0);
    return done();
  }
  if (header?.type !== 'header' || header.format !== ARCHIVE_FORMAT || tenant === undefined || typeof header.size !== 'number') {
    v.add({ kind: 'malformed', where: 'archive', message: `the first line is not a ${ARCHIVE_FORMAT} header` }, 0);
    return done();
  }
  if (options.tenantId !== undefined && options.tenantId.toLowerCase() !== tenant) {
    v.add({ kind: 'malformed', where: 'archive', message: `the archive is of tenant ${tenant}, not ${options.tenantId}` }, 0);
    return done();
  }
  if (options.witness !== undefined) await readWitness(options.witness, tenant, v);

  let end: Record<string, unknown> | undefined;
  let checkpointLines = 0;
  for await (const line of lines) {
    const value = parseLine(line);
    if (end !== undefined) {
      v.add({ kind: 'malformed', where: 'archive', message: `line ${line.number} comes after the end line` }, Number.MAX_SAFE_INTEGER);
      continue;
    }
    if (value === undefined) {
      if (!line.terminated) break; // a cut last line: reported as truncation below
      v.add({ kind: 'malformed', where: 'archive', message: `line ${line.number} is not JSON` }, v.expectedSeq);
      continue;
    }
    if (value.type === 'entry') {
      const seq = value.seq;
      const recordedLeaf = value.leaf === undefined ? undefined : base64Bytes(value.leaf, 32);
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0 || typeof value.entry !== 'string' || (value.leaf !== undefined && recordedLeaf === undefined)) {
        v.add({ kind: 'malformed', where: 'archive', message: `line ${line.number} is not an entry line` }, v.expectedSeq);
        continue;
      }
      // An entry's position is its place in the file; the line's `seq` is for people reading it.
      // (The entry's own `seq`, inside its text, is what the checks compare with the position.)
      v.row({ seq: v.entries, text: value.entry, ...(recordedLeaf === undefined ? {} : { recordedLeaf }) });
    } else if (value.type === 'checkpoint') {
      const c = checkpointOf(value, value.time, 'archive');
      if (c === undefined) {
        v.add({ kind: 'malformed', where: 'archive', message: `line ${line.number} is not a checkpoint line` }, v.expectedSeq);
        continue;
      }
      checkpointLines += 1;
      v.addCheckpoint(c);
    } else if (value.type === 'end') {
      end = value;
    } else {
      v.add({ kind: 'malformed', where: 'archive', message: `line ${line.number} has an unknown type` }, v.expectedSeq);
    }
  }
  v.finish();
  const size = header.size;
  if (end === undefined) {
    v.add(
      { kind: 'truncated', seq: v.expectedSeq, where: 'archive', message: `the file ends after entry ${v.expectedSeq - 1} without its end line (the header says the tree had ${size} entries)` },
      v.expectedSeq,
    );
  } else if (end.entries !== v.entries || end.checkpoints !== checkpointLines) {
    const claimed = typeof end.entries === 'number' ? end.entries : -1;
    if (claimed > v.entries) v.tailDeleted(claimed, 'the end line');
    else v.add({ kind: claimed < v.entries ? 'inserted' : 'malformed', where: 'archive', message: `the end line counts ${String(end.entries)} entries and ${String(end.checkpoints)} checkpoints; the file has ${v.entries} and ${checkpointLines}` }, v.expectedSeq);
  } else if (size > v.expectedSeq) {
    v.tailDeleted(size, 'the header');
  }
  return done();
}
