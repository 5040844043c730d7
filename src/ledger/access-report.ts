/**
 * The access report of one customer (the data-subject transparency report): from the ledger,
 * every recorded action on that customer's record — who, when, what, which field, for what
 * purpose and with what reason — as JSON, as CSV, or as a self-contained HTML page written for
 * the customer to read.
 *
 * The report is anchored in the ledger: it covers the sequenced entries up to a stated tree size
 * and names the latest signed checkpoint (size and root), so anyone holding the report can ask
 * for inclusion proofs of its entries (`seq`) against a root the deployment signed.
 *
 * Rows come from `ledger_entries.customer_id` (indexed, ledger_entries_customer_idx), which the
 * sequencer fills from the entry's `targets.customer`; the member values are read from the
 * entry's canonical text, the thing the tree commits to, not from the query columns.
 */
import { createHash } from 'node:crypto';
import type { Database } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import { decodeEntry } from './entry.js';
import { LedgerErrors } from './errors.js';
import type { Ledger } from './ledger.js';

export const accessReportFormats = ['json', 'csv', 'html'] as const;
export type AccessReportFormat = (typeof accessReportFormats)[number];
export type AccessReportOrder = 'newest' | 'oldest';

export interface AccessReportRow {
  readonly seq: number;
  /** When it was recorded (ISO 8601 UTC). */
  readonly time: string;
  readonly actor: { readonly type: string; readonly id: string };
  readonly action: string;
  /** The action in plain language (`viewed`), for people. */
  readonly description: string;
  /** `targets.field`, when the action was about one field. */
  readonly field: string | null;
  readonly purpose: string | null;
  readonly reason: string | null;
}

export interface AccessReport {
  readonly tenant: string;
  readonly customer: string;
  readonly generatedAt: string;
  readonly order: AccessReportOrder;
  /** The report covers the sequenced entries `0 .. treeSize - 1` of the tenant's ledger. */
  readonly treeSize: number;
  /** The latest signed checkpoint (it may be older than `treeSize`), or null before the first. */
  readonly checkpoint: { readonly size: number; readonly root: string; readonly at: string; readonly keyId: string } | null;
  /** True when there were more than `limit` rows; only the first `limit` (in `order`) are listed. */
  readonly truncated: boolean;
  readonly rows: readonly AccessReportRow[];
}

export interface AccessReportDeps {
  readonly db: Database;
  readonly ledger: Ledger;
  readonly clock: Clock;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const ACCESS_REPORT_MAX_ROWS = 10_000;

/** What an action means, in the words a customer would use, and a line for the legend. */
const PLAIN: Readonly<Record<string, { readonly verb: string; readonly legend: string }>> = {
  'customer.field.reveal': { verb: 'viewed', legend: 'Someone displayed this piece of your information in full on their screen.' },
  'customer.field.update': { verb: 'changed', legend: 'Someone changed this piece of your information.' },
  'customer.field.create': { verb: 'added', legend: 'Someone added this piece of information to your record.' },
  'customer.field.delete': { verb: 'removed', legend: 'Someone removed this piece of information from your record.' },
  'customer.create': { verb: 'created your record', legend: 'Your customer record was created.' },
  'customer.update': { verb: 'updated your record', legend: 'Your customer record was updated.' },
  'customer.search': { verb: 'found your record in a search', legend: 'Your record came up in a search someone made.' },
  'customer.export': { verb: 'exported your data', legend: 'A copy of your data was produced (for example for a data request).' },
  'customer.erase': { verb: 'erased your data', legend: 'Your data was erased.' },
  'card.detokenize': { verb: 'used your stored card number', legend: 'The full number of a card you gave was retrieved to process a payment.' },
  'access.break_glass': { verb: 'used emergency access', legend: 'Someone used emergency access, which is allowed only with a stated reason and is reviewed.' },
  'access.break_glass.open': { verb: 'opened emergency access to your record', legend: 'Someone used emergency access, which is allowed only with a stated reason, alerts the security team and is reviewed.' },
  'access.break_glass.end': { verb: 'closed emergency access to your record', legend: 'An emergency access to your record ended.' },
  'access.break_glass.review': { verb: 'reviewed an emergency access', legend: 'A security officer reviewed an emergency access to your record.' },
  'customer.record.open': { verb: 'opened your record (values hidden)', legend: 'Someone serving you opened your record; your information was shown only partly hidden (for example the last digits).' },
  'customer.confirm': { verb: 'confirmed your information with you', legend: 'You confirmed that a piece of your information is still correct.' },
  'customer.import': { verb: 'imported your record', legend: 'Your record was loaded from another of the company\'s systems.' },
  'customer.retention_purge': { verb: 'deleted information past its retention period', legend: 'Information was deleted because the time it may be kept had passed.' },
  'interaction.create': { verb: 'started a conversation with you', legend: 'A call, chat or email with you was registered.' },
  'interaction.assign': { verb: 'took your conversation', legend: 'Someone was assigned to serve you.' },
  'interaction.transfer': { verb: 'transferred your conversation', legend: 'Your call, chat or email was passed to someone else.' },
  'interaction.link_customer': { verb: 'linked a conversation to your record', legend: 'A call, chat or email was identified as yours.' },
  'interaction.state': { verb: 'changed the state of your conversation', legend: 'A conversation with you moved on (for example it ended).' },
  'interaction.message.add': { verb: 'stored a message of your conversation (personal data removed)', legend: 'A message of a conversation with you was kept, with personal data such as card numbers removed first.' },
  'verification.start': { verb: 'started checking your identity', legend: 'Someone began to check that you are who you said you are.' },
  'verification.code.send': { verb: 'sent you a one-time code', legend: 'A code was sent to your phone or email to check your identity.' },
  'verification.result': { verb: 'recorded an identity check result', legend: 'The result of one identity check (for example a code or a question) was recorded.' },
  'verification.level': { verb: 'recorded how well your identity was checked', legend: 'How strongly your identity was checked was recorded for the conversation.' },
  'verification.questions.ask': { verb: 'asked you security questions', legend: 'You were asked security questions to check your identity.' },
  'verification.questions.enroll': { verb: 'registered your security questions', legend: 'Your security questions were registered (the answers are kept only in a form that cannot be read back).' },
  'verification.lockout': { verb: 'paused identity checks after failed attempts', legend: 'After too many failed identity checks, further checks were paused for a while to protect you.' },
  'verification.lockout.release': { verb: 'resumed identity checks early', legend: 'A security officer ended the pause on identity checks before it ran out, once you had proved who you are another way.' },
  'verification.risk.decision': { verb: 'assessed the risk of a request', legend: 'A request made in your name was assessed for signs of fraud.' },
  'verification.biometric.consent': { verb: 'recorded your consent to biometric checks', legend: 'You agreed to be recognised by your face or voice.' },
  'verification.biometric.consent_withdraw': { verb: 'recorded the withdrawal of your biometric consent', legend: 'You withdrew your agreement to be recognised by your face or voice.' },
  'verification.biometric.enroll': { verb: 'registered your biometric template', legend: 'A template of your face or voice was registered, encrypted.' },
  'verification.biometric.delete': { verb: 'deleted your biometric template', legend: 'Your face or voice template was deleted.' },
  'redaction.decrypt': { verb: 'read protected text from a conversation', legend: 'Someone authorised read personal data that had been encrypted in a conversation, with a stated reason.' },
  'redaction.decrypt.refused': { verb: 'tried to read protected text, and was refused', legend: 'Someone tried to read encrypted personal data from a conversation; it did not open, and the attempt was recorded.' },
};

/** The plain-language description of an action; unknown actions are named as they are recorded. */
export function describeAction(action: string): string {
  return PLAIN[action]?.verb ?? `recorded action "${action}"`;
}

function legendOf(action: string): string {
  return PLAIN[action]?.legend ?? 'An action recorded in the audit ledger under this technical name.';
}

/**
 * Builds the report of one customer: entries whose `targets.customer` is that customer, among the
 * sequenced entries of the tenant up to the tree size read in the same transaction.
 */
export async function buildAccessReport(
  deps: AccessReportDeps,
  tenantId: string,
  customerId: string,
  options: { order?: AccessReportOrder; limit?: number } = {},
): Promise<AccessReport> {
  if (!UUID.test(customerId)) throw new TypeError('customerId is a UUID');
  const order = options.order ?? 'newest';
  const limit = options.limit ?? ACCESS_REPORT_MAX_ROWS;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new TypeError('limit is a positive integer');
  const customer = customerId.toLowerCase();
  return deps.db.withTenant(tenantId, async (tx) => {
    const head = await deps.ledger.treeHead(tx, tenantId);
    const rows = await tx
      .selectFrom('ledger_entries')
      .select(['seq', 'entry'])
      .where('tenant_id', '=', tenantId)
      .where('customer_id', '=', customer)
      // Entries sequenced after the head was read (another transaction) are for the next report.
      .where('seq', '<', head.size)
      .orderBy('seq', order === 'newest' ? 'desc' : 'asc')
      .limit(limit + 1)
      .execute();
    const listed = rows.slice(0, limit).map((row): AccessReportRow => {
      const decoded = decodeEntry(row.entry);
      if ('error' in decoded) throw new AppError(LedgerErrors.corrupt, { detail: `Entry ${row.seq} cannot be read: ${decoded.error}` });
      const e = decoded.entry;
      if (e.targets.customer?.toLowerCase() !== customer || e.seq !== Number(row.seq)) throw new AppError(LedgerErrors.corrupt, { detail: `Entry ${row.seq} does not match its index columns` });
      return {
        seq: e.seq,
        time: e.at,
        actor: { type: e.actor.type, id: e.actor.id },
        action: e.action,
        description: describeAction(e.action),
        field: e.targets.field ?? null,
        purpose: e.purpose ?? null,
        reason: e.reason ?? null,
      };
    });
    const c = head.checkpoint;
    return {
      tenant: tenantId,
      customer,
      generatedAt: deps.clock.now().toISOString(),
      order,
      treeSize: head.size,
      checkpoint: c === undefined ? null : { size: c.size, root: c.root.toString('base64'), at: c.at, keyId: c.keyId },
      truncated: rows.length > limit,
      rows: listed,
    };
  });
}

/** The sentence that anchors a report in the ledger (CSV first line, HTML, CLI). */
export function anchorSentence(report: AccessReport): string {
  const checkpoint =
    report.checkpoint === null
      ? 'no signed checkpoint yet'
      : `latest signed checkpoint: size ${report.checkpoint.size}, root ${report.checkpoint.root}, signed ${report.checkpoint.at} by key ${report.checkpoint.keyId}`;
  const range = report.treeSize === 0 ? 'the ledger is empty' : `entries 0 to ${report.treeSize - 1}`;
  return `Covers the sequenced ledger entries up to tree size ${report.treeSize} (${range}); ${checkpoint}.`;
}

// ---------------------------------------------------------------------------------------------
// CSV

/**
 * One CSV cell. Spreadsheet formula injection (OWASP "CSV Injection"): a cell starting with `=`,
 * `+`, `-`, `@`, tab or carriage return is prefixed with a single quote, so a spreadsheet shows
 * it as text instead of evaluating it. Then RFC 4180 §2 quoting: a field holding a comma, a
 * double quote, CR or LF is enclosed in double quotes, inner double quotes doubled.
 */
export function csvCell(value: string | number | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const CSV_COLUMNS = ['time', 'actor_type', 'actor_id', 'action', 'description', 'field', 'purpose', 'reason', 'seq'] as const;

/**
 * The report as CSV (RFC 4180: CRLF line breaks, a header record). The first record is the
 * report's anchor sentence in the first cell, padded to the same number of fields; the second
 * is the header; then one record per row.
 */
export function accessReportCsv(report: AccessReport): string {
  const records: (string | number | null)[][] = [
    [`Custodia access report for customer ${report.customer}, generated ${report.generatedAt}. ${anchorSentence(report)}${report.truncated ? ` Only the first ${report.rows.length} rows are listed.` : ''}`, ...Array<string>(CSV_COLUMNS.length - 1).fill('')],
    [...CSV_COLUMNS],
    ...report.rows.map((r) => [r.time, r.actor.type, r.actor.id, r.action, r.description, r.field, r.purpose, r.reason, r.seq]),
  ];
  return `${records.map((record) => record.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

// ---------------------------------------------------------------------------------------------
// HTML

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `
body { font: 16px/1.5 system-ui, sans-serif; color: #1b1b1b; background: #fff; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.25rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
p.anchor { font-size: 0.85rem; color: #444; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin-top: 1rem; }
th, td { text-align: left; vertical-align: top; padding: 0.4rem 0.6rem; border-bottom: 1px solid #ccc; }
th { background: #f2f2f2; }
td.seq, code { font-family: ui-monospace, monospace; font-size: 0.85rem; }
dt { font-weight: 600; margin-top: 0.6rem; }
dd { margin-left: 1rem; }
`;

/** `sha256-...` of the page's one inline style: the only thing its CSP allows. */
const STYLE_HASH = `sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}`;

/**
 * The Content-Security-Policy of the HTML report: nothing but its own inline stylesheet (by hash)
 * — no scripts, images, fonts, forms, frames or connections. The page carries it in a meta tag
 * too, so it holds when the page is opened as a file.
 */
export const ACCESS_REPORT_CSP = `default-src 'none'; style-src '${STYLE_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
const META_CSP = `default-src 'none'; style-src '${STYLE_HASH}'; base-uri 'none'; form-action 'none'`;

function actorText(actor: { type: string; id: string }): string {
  switch (actor.type) {
    case 'agent':
      return `Agent ${actor.id}`;
    case 'service':
      return `Automated service ${actor.id}`;
    case 'system':
      return `The system (${actor.id})`;
    case 'platform':
      return `Platform administrator ${actor.id}`;
    default:
      return `${actor.type} ${actor.id}`;
  }
}

function readableCode(code: string | null): string {
  return code === null ? '' : code.replace(/[_.-]+/g, ' ');
}

function readableTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * The report as a self-contained HTML page for the customer: plain language, a legend of the
 * terms it uses, the anchor in the ledger; everything escaped; no script, no external resource.
 */
export function accessReportHtml(report: AccessReport, options: { organisation?: string } = {}): string {
  const who = options.organisation === undefined ? 'the organisation that holds your data' : escapeHtml(options.organisation);
  const rows = report.rows
    .map(
      (r) =>
        `<tr><td>${escapeHtml(readableTime(r.time))}</td><td>${escapeHtml(actorText(r.actor))}</td><td>${escapeHtml(r.description)}</td><td>${escapeHtml(r.field ?? '')}</td><td>${escapeHtml(readableCode(r.purpose))}</td><td>${escapeHtml(r.reason ?? '')}</td><td class="seq">${r.seq}</td></tr>`,
    )
    .join('\n');
  const actions = [...new Set(report.rows.map((r) => r.action))].sort();
  const legend = [
    ...actions.map((a) => `<dt>${escapeHtml(describeAction(a))}</dt><dd>${escapeHtml(legendOf(a))} <code>${escapeHtml(a)}</code></dd>`),
    '<dt>Purpose</dt><dd>The reason category the person had to choose before they could act, from the list the organisation keeps.</dd>',
    '<dt>Reason given</dt><dd>The explanation the person wrote, when one was required (for example for emergency access).</dd>',
    '<dt>Ledger entry</dt><dd>The number of the record in the tamper-evident audit ledger. It lets an auditor prove that the record is in the ledger and has not been changed.</dd>',
  ].join('\n');
  const table =
    report.rows.length === 0
      ? '<p>Nobody has accessed your information in the period this report covers.</p>'
      : `<table>
<thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What they did</th><th scope="col">Which information</th><th scope="col">Purpose</th><th scope="col">Reason given</th><th scope="col">Ledger entry</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${META_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Who accessed your information</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Who accessed your information</h1>
<p>This report lists every time someone at ${who} used your information, as recorded in its audit ledger: when, who, what they did, which information, and why. Customer reference: <code>${escapeHtml(report.customer)}</code>. Generated ${escapeHtml(readableTime(report.generatedAt))}.${report.order === 'newest' ? ' Most recent first.' : ' Oldest first.'}</p>
${report.truncated ? `<p><strong>Only the first ${report.rows.length} entries are shown.</strong> Ask for the full report.</p>\n` : ''}${table}
<h2>What the words mean</h2>
<dl>
${legend}
</dl>
<p class="anchor">${escapeHtml(anchorSentence(report))}</p>
</body>
</html>
`;
}
