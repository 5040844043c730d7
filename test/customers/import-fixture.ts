/**
 * A 500-row customer CSV with 5 bad rows (1%), each bad for a different reason, and the report
 * the import must give for it. Shared by the in-process and the command-line import tests.
 */
import { expect } from 'vitest';
import type { RowError } from '../../src/customers/index.js';

const FIRST = ['Valentina', 'Mateo', 'Camila', 'Santiago', 'Lucía', 'Tomás', 'Isabela', 'Joaquín', 'Renata', 'Emiliano'];
const LAST = ['Ochoa', 'Quintero', 'Barrios', 'Zamora', 'Villalobos', 'Castaño', 'Arriaga', 'Montoya', 'Salcedo', 'Urrutia', 'Figueroa'];

interface FixtureRow {
  number: string;
  name: string;
  phone: string;
  email: string;
  document: string;
  birthDate: string;
  city: string;
}

function row(i: number): FixtureRow {
  return {
    number: `IMP-${String(i).padStart(5, '0')}`,
    name: `${FIRST[i % FIRST.length]} ${LAST[i % LAST.length]}`,
    phone: `+34 6${String(10_000_000 + i * 7919).slice(-8)}`,
    email: `cliente${i}@example.com`,
    document: `${70_000_000 + i}K`,
    birthDate: `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`,
    city: ['Madrid', 'Bogotá', 'Lima', 'Quito'][i % 4] ?? 'Madrid',
  };
}

const csvCell = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

export interface CsvFixture {
  readonly text: string;
  readonly expectedErrors: RowError[];
  /** The values of the bad rows: none may appear in the report. */
  readonly badValues: string[];
  /** Values of a good row that must be stored only encrypted. */
  readonly sampleSecrets: string[];
  readonly sampleEmail: string;
}

export function bigCsv(): CsvFixture {
  const lines = ['customer_number,full_name,phone,email,document,birth_date,address'];
  for (let i = 1; i <= 500; i++) {
    const r = row(i);
    const address = JSON.stringify({ street: `Calle ${LAST[i % LAST.length]} ${i}`, city: r.city });
    let cells = [r.number, r.name, r.phone, r.email, r.document, r.birthDate, address];
    if (i === 50) cells[2] = 'not-a-phone-050';
    if (i === 150) cells[5] = '1990-02-31';
    if (i === 250) cells[0] = '';
    if (i === 350) cells[0] = row(10).number;
    let line = cells.map(csvCell).join(',');
    if (i === 450) line = `${r.number},"Wrong "Zelda" name,${r.phone},${r.email},${r.document},${r.birthDate},`;
    lines.push(line);
    cells = [];
  }
  const message = expect.any(String) as unknown as string;
  return {
    text: `${lines.join('\r\n')}\r\n`,
    expectedErrors: [
      { line: 51, code: 'invalid_value', field: 'phone', reason: 'format', message },
      { line: 151, code: 'invalid_value', field: 'birth_date', reason: 'range', message },
      { line: 251, code: 'missing_customer_number', message },
      { line: 351, code: 'duplicate_in_file', firstLine: 11, message },
      { line: 451, code: 'malformed_record', reason: 'csv_quotes', message },
    ],
    badValues: ['not-a-phone-050', '1990-02-31', 'Zelda', row(350).email, row(350).name, row(250).email, row(450).email, row(50).email],
    sampleSecrets: [row(1).name, row(1).email, row(1).phone.replace(/ /g, ''), row(1).document, `Calle ${LAST[1]} 1`, row(2).name, row(3).email],
    sampleEmail: row(7).email,
  };
}
