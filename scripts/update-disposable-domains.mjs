// Merges the community list of disposable email domains into the shipped list
// (src/verification/contact/data/disposable-domains.txt): `node scripts/update-disposable-domains.mjs`
// adds upstream domains to ours; `--replace` takes upstream as is. Review the diff before committing.
import { readFileSync, writeFileSync } from 'node:fs';

const FILE = 'src/verification/contact/data/disposable-domains.txt';
const SOURCE = 'https://raw.githubusercontent.com/disposable-email-domains/disposable-email-domains/main/disposable_email_blocklist.conf';

const text = readFileSync(FILE, 'utf8');
const header = text.split('\n').filter((l) => l.startsWith('#'));
const ours = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
const response = await fetch(SOURCE);
if (!response.ok) throw new Error(`upstream answered ${response.status}`);
const upstream = (await response.text()).split('\n').map((l) => l.trim().toLowerCase()).filter((l) => /^[a-z0-9.-]+\.[a-z0-9-]+$/.test(l));
const merged = [...new Set(process.argv.includes('--replace') ? upstream : [...ours, ...upstream])].sort();
const counted = header.map((l) => l.replace(/\d+ well-known domains/, `${merged.length} well-known domains`));
writeFileSync(FILE, `${counted.join('\n')}\n${merged.join('\n')}\n`);
console.log(JSON.stringify({ before: ours.length, after: merged.length }));
