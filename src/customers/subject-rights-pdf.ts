/**
 * The data-subject export as a PDF (pdfkit): the same content as the HTML page — what is held on
 * the customer, then who accessed it — for contact centers that answer access requests by
 * letter or as an attachment a customer can keep unchanged.
 *
 * pdfkit's built-in Helvetica covers the Windows-1252 repertoire (every letter of Spanish,
 * Portuguese and English); any other character is written as "?" rather than dropped, so a value
 * is never silently shortened. The document is not compressed, carries no script, link or form,
 * and its metadata names no customer.
 */
import PDFDocument from 'pdfkit';
import type { AccessReport } from '../ledger/access-report.js';
import type { CustomerExport } from './subject-rights.js';
import { dateText, valueText } from './subject-rights.js';

// Windows-1252 beyond Latin-1 (0x80–0x9f), which the standard fonts also encode.
const CP1252_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/** Text the standard fonts can show: other characters become "?", control characters spaces. */
export function pdfSafe(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    const code = ch.codePointAt(0) as number;
    if (ch === '\n') out += ch;
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0 && !CP1252_EXTRA.has(ch))) out += ' ';
    else if (code <= 0xff || CP1252_EXTRA.has(ch)) out += ch;
    else out += '?';
  }
  return out;
}

export function customerExportPdf(data: CustomerExport, report: AccessReport, options: { organisation?: string; generatedAt: Date }): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 50, compress: false, info: { Title: 'Your data', Producer: 'Custodia', Creator: 'Custodia' } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const who = options.organisation ?? 'the organisation that holds your data';
  const text = (t: string, opts: PDFKit.Mixins.TextOptions = {}) => doc.text(pdfSafe(t), opts);

  doc.font('Helvetica-Bold').fontSize(18);
  text('Your data');
  doc.font('Helvetica').fontSize(10).moveDown(0.5);
  text(`Everything ${who} holds on you as a customer, and who used it. Customer number: ${data.customerNumber}; reference ${data.customerId}; customer since ${dateText(data.createdAt)}. Generated ${dateText(options.generatedAt)}.`);
  if (data.erased) {
    doc.moveDown(0.5).font('Helvetica-Bold');
    text('Your data was erased. Only this reference remains.');
    doc.font('Helvetica');
  }

  doc.moveDown().font('Helvetica-Bold').fontSize(14);
  text('What we hold');
  doc.fontSize(10);
  for (const f of data.fields) {
    doc.moveDown(0.5).font('Helvetica-Bold');
    text(f.label);
    doc.font('Helvetica');
    const value = valueText(f.value);
    text(value.length === 0 ? '(nothing held)' : value);
    doc.fillColor('#444444');
    text(`Why we keep it: ${f.purpose.replace(/[_.-]+/g, ' ')}. Kept for ${f.retentionDays} days. Protection class: ${f.class}.${f.updatedAt === null ? '' : ` Last changed ${dateText(f.updatedAt)}.`}${f.confirmedAt === null ? '' : ` Last confirmed by you ${dateText(f.confirmedAt)}.`}`);
    doc.fillColor('#000000');
  }
  doc.moveDown(0.5).fontSize(9);
  text('A stored card is shown as its token: the card number itself is never shown.');

  doc.moveDown().font('Helvetica-Bold').fontSize(14);
  text('Who accessed your information');
  doc.font('Helvetica').fontSize(10);
  if (report.rows.length === 0) text('No recorded access in the period the report covers.');
  for (const r of report.rows) {
    doc.moveDown(0.4);
    const parts = [`${r.time.slice(0, 16).replace('T', ' ')} UTC`, `${r.actor.type} ${r.actor.id}`, r.description];
    if (r.field !== null) parts.push(`information: ${r.field}`);
    if (r.purpose !== null) parts.push(`purpose: ${r.purpose}`);
    if (r.reason !== null) parts.push(`reason given: ${r.reason}`);
    parts.push(`ledger entry ${r.seq}`);
    text(parts.join(' - '));
  }
  if (report.truncated) {
    doc.moveDown(0.5).font('Helvetica-Bold');
    text(`Only the first ${report.rows.length} entries are shown.`);
    doc.font('Helvetica');
  }
  doc.moveDown().fontSize(9);
  text(`The access list covers the audit ledger up to entry ${report.treeSize} (tree size ${report.treeSize}).`);
  doc.end();
  return done;
}
