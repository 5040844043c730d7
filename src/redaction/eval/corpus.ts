/**
 * Deterministic synthetic corpus for the redaction evaluation: contact-center chats, call
 * transcripts and e-mails in es, pt and en, with exact gold spans and marked hard negatives.
 *
 * Every value is generated here (eval/values.ts computes check digits from the published
 * algorithms, independently of src/documents), and the gold span of a value is where the
 * generator wrote it: nothing here calls the detectors. Hard negatives (order, ticket, invoice,
 * tracking and protocol numbers, card-shaped numbers that fail Luhn, amounts, times, ordinary
 * dates, product codes) are recorded with their offsets so the harness can count hits on them.
 *
 * Variety on purpose, including cases the detectors are known to miss: names outside the
 * gazetteer and without a cue, names with apostrophes, lower-case transcripts, fillers ("eh") in
 * spoken digits, NBSP and full-width digits, values at the very start or end of a message.
 */
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { EntityType, Language } from '../types.js';
import { HELDOUT } from './heldout.js';
import {
  bic,
  cardNumber,
  cnpj,
  cnpjOk,
  cpf,
  cpfOk,
  cuit,
  curp,
  dni,
  formatCard,
  groupIban,
  iban,
  luhnOk,
  nie,
  nit,
  nonCardDigits,
  Prng,
  rut,
  ssn,
} from './values.js';

export interface GoldSpan {
  type: EntityType;
  start: number;
  end: number;
}

export interface HardNegative {
  kind: string;
  start: number;
  end: number;
}

export type Style = 'chat' | 'transcript' | 'email';

export interface Sample {
  id: string;
  language: Language;
  style: Style;
  text: string;
  gold: GoldSpan[];
  negatives: HardNegative[];
}

class Builder {
  private parts: string[] = [];
  private len = 0;
  readonly gold: GoldSpan[] = [];
  readonly negatives: HardNegative[] = [];
  text(s: string): void {
    this.parts.push(s);
    this.len += s.length;
  }
  entity(type: EntityType, value: string): void {
    this.gold.push({ type, start: this.len, end: this.len + value.length });
    this.text(value);
  }
  negative(kind: string, value: string): void {
    this.negatives.push({ kind, start: this.len, end: this.len + value.length });
    this.text(value);
  }
  build(): string {
    return this.parts.join('');
  }
}

// ---------------------------------------------------------------------------------------------
// Names, streets (their own lists, not the detector's gazetteer; some names are deliberately
// outside it).

const FIRST: Record<Language, readonly string[]> = {
  es: ['Juan', 'María', 'José', 'Lucía', 'Carlos', 'Ana', 'Javier', 'Marta', 'Alejandro', 'Carmen', 'Diego', 'Laura', 'Sergio', 'Paula', 'Andrés', 'Valentina', 'Camila', 'Santiago', 'Mateo', 'Ximena', 'Álvaro', 'Nerea', 'Iker', 'Ainhoa', 'Maite', 'Xabier', 'Yolanda', 'Fermín', 'Leire', 'Begoña', 'Eleuterio', 'Wenceslao', 'Itziar', 'Rodrigo', 'Florencia', 'Agustina', 'Benjamín', 'Renata', 'Emiliano', 'Gonzalo'],
  pt: ['João', 'Maria', 'Ana', 'Pedro', 'Lucas', 'Gabriel', 'Beatriz', 'Juliana', 'Fernanda', 'Rafael', 'Thiago', 'Larissa', 'Camila', 'Bruno', 'Letícia', 'Gonçalo', 'Inês', 'Rui', 'Joana', 'Tiago', 'Matheus', 'Vinícius', 'Thaynara', 'Kaique', 'Iara', 'Cauã', 'Raíssa', 'Heloísa', 'Valdemar', 'Francisco', 'Luíza'],
  en: ['James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'David', 'Sarah', 'Emily', 'Daniel', 'Jessica', 'Matthew', 'Ashley', 'Andrew', 'Megan', 'Brian', 'Nicole', 'Kevin', 'Rachel', 'Tyler', 'Brittany', 'Deirdre', 'Thaddeus', 'Keisha', 'DeShawn', 'Siobhan', 'Malcolm', 'Priya', 'Wei', 'Aaliyah', 'Connor', 'Hannah'],
};
const LAST: Record<Language, readonly string[]> = {
  es: ['García', 'Fernández', 'González', 'Rodríguez', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez', 'Martín', 'Jiménez', 'Ruiz', 'Hernández', 'Díaz', 'Moreno', 'Álvarez', 'Romero', 'Navarro', 'Torres', 'Domínguez', 'Vázquez', 'Ramos', 'Castillo', 'Ortega', 'Delgado', 'Mendoza', 'Rojas', 'Quispe', 'Restrepo', 'Echeverría', 'Urrutia', 'Goikoetxea', 'Zuloaga', 'Arrieta', 'Iturbe', 'Villanueva', 'Sepúlveda', 'Valenzuela', 'Cárdenas', 'Londoño'],
  pt: ['Silva', 'Santos', 'Oliveira', 'Souza', 'Rodrigues', 'Ferreira', 'Alves', 'Pereira', 'Lima', 'Gomes', 'Costa', 'Ribeiro', 'Martins', 'Carvalho', 'Almeida', 'Lopes', 'Barbosa', 'Rocha', 'Nascimento', 'Cavalcanti', 'Bittencourt', 'Albuquerque', 'Magalhães', 'Figueiredo', 'Vasconcelos', 'Quintela', 'Sampaio', 'Brandão', 'Siqueira', 'Toledo'],
  en: ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Anderson', 'Taylor', 'Thomas', 'Moore', 'Jackson', 'White', 'Harris', 'Thompson', 'Clark', 'Lewis', 'Walker', 'Young', 'Nguyen', 'Patel', 'Kowalski', 'Okafor', 'Nakamura', "O'Brien", 'McAllister', 'Fitzgerald', 'Goldberg', 'Schwartz'],
};

function fullName(r: Prng, lang: Language): string {
  const first = r.pick(FIRST[lang]);
  if (lang === 'es') return r.chance(0.5) ? `${first} ${r.pick(LAST.es)} ${r.pick(LAST.es)}` : `${first} ${r.pick(LAST.es)}`;
  if (lang === 'pt') {
    if (r.chance(0.25)) return `${first} ${r.pick(['da', 'dos', 'de'])} ${r.pick(LAST.pt)}`;
    return r.chance(0.4) ? `${first} ${r.pick(LAST.pt)} ${r.pick(LAST.pt)}` : `${first} ${r.pick(LAST.pt)}`;
  }
  return r.chance(0.15) ? `${first} ${r.pick(['A.', 'J.', 'M.', 'R.'])} ${r.pick(LAST.en)}` : `${first} ${r.pick(LAST.en)}`;
}

function address(r: Prng, lang: Language): string {
  const n = String(r.int(1, 2400));
  if (lang === 'es') {
    const kind = r.int(0, 5);
    if (kind === 0) return `Carrera ${r.int(1, 99)} # ${r.int(1, 150)}-${r.int(1, 99)}`;
    if (kind === 1) return `Calle ${r.int(1, 150)} # ${r.int(1, 99)}-${r.int(1, 99)}`;
    const type = r.pick(['Calle', 'Calle', 'C/', 'Avenida', 'Av.', 'Avda.', 'Paseo', 'Plaza', 'Jirón', 'Pasaje']);
    const name = r.pick(['Mayor', 'Alcalá', 'Gran Vía', 'de la Constitución', 'Serrano', 'del Prado', 'San Martín', 'Corrientes', 'Reforma', 'Insurgentes Sur', 'Providencia', 'Larco', 'de los Libertadores', 'Santa Fe', 'Colón', 'Real', 'de Gracia', 'Juárez', 'Bolívar']);
    const sep = r.pick([' ', ', ', ' nº ', ', n.º ']);
    const unit = r.pick(['', '', '', ', 3º B', ', piso 2', ', 2º izq', ', puerta 4', ', depto 5', ', dpto. 302']);
    return `${type} ${name}${sep}${n}${unit}`;
  }
  if (lang === 'pt') {
    const type = r.pick(['Rua', 'Rua', 'Rua', 'R.', 'Avenida', 'Av.', 'Travessa', 'Alameda', 'Praça', 'Estrada']);
    const name = r.pick(['Augusta', 'das Flores', 'Paulista', 'Atlântica', 'Oscar Freire', 'do Carmo', 'Santos', 'da Consolação', 'Haddock Lobo', 'XV de Novembro', 'Sete de Setembro', 'da Liberdade', 'dos Bandeirantes', 'Brasil', 'Rio Branco', 'Almirante Reis']);
    const sep = r.pick([', ', ', ', ' ', ', nº ', ', n.º ']);
    const unit = r.pick(['', '', '', ', apto 52', ', apto. 101', ', casa 2', ', sala 304', ', bloco B', ', 3º andar']);
    return `${type} ${name}${sep}${n}${unit}`;
  }
  const name = r.pick(['Main', 'Oak', 'Maple', 'Cedar', 'Elm', 'Washington', 'Lake', 'Hill', 'Park', 'Pine', 'Sunset', 'Evergreen', 'Baker', 'Lincoln', 'Highland', 'Martin Luther King Jr', 'Mill Creek', 'Church']);
  const suffix = r.pick(['Street', 'St', 'St.', 'Avenue', 'Ave', 'Road', 'Rd.', 'Boulevard', 'Lane', 'Drive', 'Dr.', 'Way', 'Court', 'Terrace']);
  const unit = r.pick(['', '', '', ', Apt 4B', ', Suite 200', ' Unit 5', ', Apt. 12', ' #3']);
  return `${n} ${name} ${suffix}${unit}`;
}

// ---------------------------------------------------------------------------------------------
// Phones, dates, e-mails

/**
 * A phone number in one of the countries' usual written forms. The numbering plans are
 * libphonenumber's metadata (the reference the whole industry uses): a drawn number that does not
 * fit its country's plan is drawn again, so every gold phone is a number that could be assigned.
 */
function phone(r: Prng, lang: Language): string {
  for (;;) {
    const [text, country] = phoneCandidate(r, lang);
    const parsed = parsePhoneNumberFromString(text.replace(/\u00a0/g, ' '), country);
    if (parsed?.isValid() === true && parsed.country === country) return text;
  }
}

function phoneCandidate(r: Prng, lang: Language): [string, CountryCode] {
  const country: CountryCode = lang === 'pt' ? r.pick(['BR', 'BR', 'BR', 'PT']) : lang === 'es' ? r.pick(['ES', 'ES', 'MX', 'CO', 'AR', 'CL', 'PE']) : r.pick(['US', 'US', 'US', 'US', 'ES', 'MX']);
  const intl = r.chance(0.4);
  const d = (n: number) => r.digits(n);
  switch (country) {
    case 'ES': {
      const mobile = r.chance(0.7);
      const body = mobile ? (r.chance(0.85) ? '6' + d(8) : '7' + r.int(1, 4) + d(7)) : r.pick(['91', '93', '95', '96', '94']) + r.int(2, 8) + d(6);
      const fmt = r.chance(0.5) ? `${body.slice(0, 3)} ${body.slice(3, 6)} ${body.slice(6)}` : r.chance(0.5) ? body : `${body.slice(0, 3)} ${body.slice(3, 5)} ${body.slice(5, 7)} ${body.slice(7)}`;
      return [intl ? `+34 ${fmt}` : fmt, country];
    }
    case 'PT': {
      const body = r.chance(0.7) ? r.pick(['91', '92', '93', '96']) + d(7) : r.pick(['21', '22']) + r.int(1, 9) + d(6);
      const fmt = `${body.slice(0, 3)} ${body.slice(3, 6)} ${body.slice(6)}`;
      return [intl ? `+351 ${fmt}` : fmt, country];
    }
    case 'BR': {
      const ddd = r.pick(['11', '21', '31', '41', '51', '61', '71', '81', '85', '19', '27', '48']);
      const mobile = r.chance(0.75);
      const local = mobile ? '9' + r.int(6, 9) + d(3) + d(4) : String(r.int(2, 5)) + d(3) + d(4);
      const a = local.slice(0, local.length - 4);
      const b = local.slice(-4);
      if (intl) return [`+55 ${ddd} ${a}${r.pick(['-', ' '])}${b}`, country];
      return [r.pick([`(${ddd}) ${a}-${b}`, `(${ddd}) ${a} ${b}`, `${ddd} ${a}-${b}`, `${ddd}${a}${b}`]), country];
    }
    case 'MX': {
      const area = r.pick(['55', '33', '81']);
      const body = String(r.int(2, 9)) + d(7);
      return [intl ? `+52 ${area} ${body.slice(0, 4)} ${body.slice(4)}` : `${area} ${body.slice(0, 4)} ${body.slice(4)}`, country];
    }
    case 'CO': {
      const body = '3' + r.pick(['00', '01', '02', '04', '10', '11', '12', '13', '14', '15', '16', '17', '18', '20', '21']) + d(7);
      return [intl ? `+57 ${body.slice(0, 3)} ${body.slice(3, 6)} ${body.slice(6)}` : `${body.slice(0, 3)} ${body.slice(3, 6)} ${body.slice(6)}`, country];
    }
    case 'AR': {
      const body = String(r.int(4, 6)) + d(3) + '-' + d(4);
      return [intl ? `+54 9 11 ${body}` : `11 ${body}`, country];
    }
    case 'CL': {
      const body = d(4) + ' ' + d(4);
      return [intl ? `+56 9 ${body}` : `9 ${body}`, country];
    }
    case 'PE': {
      const body = '9' + d(2) + ' ' + d(3) + ' ' + d(3);
      return [intl ? `+51 ${body}` : body, country];
    }
    default: {
      const area = r.pick(['201', '202', '212', '213', '305', '312', '415', '512', '617', '646', '702', '713', '718', '773', '786', '818', '917']);
      let exchange: string;
      do exchange = String(r.int(200, 999));
      while (exchange.endsWith('11') || exchange === '555');
      const line = d(4);
      if (intl) return [`+1 ${area} ${exchange} ${line}`, country];
      return [r.pick([`(${area}) ${exchange}-${line}`, `${area}-${exchange}-${line}`, `${area}.${exchange}.${line}`, `${area} ${exchange} ${line}`]), country];
    }
  }
}

const MONTHS: Record<Language, readonly string[]> = {
  es: ['enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre'],
  pt: ['janeiro', 'fevereiro', 'março', 'abril', 'maio', 'junho', 'julho', 'agosto', 'setembro', 'outubro', 'novembro', 'dezembro'],
  en: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
};

function date(r: Prng, lang: Language, yearFrom: number, yearTo: number): string {
  const y = r.int(yearFrom, yearTo);
  const m = r.int(1, 12);
  const day = r.int(1, 28);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const k = r.int(0, 3);
  if (lang === 'en') {
    if (k === 0) return `${MONTHS.en[m - 1]} ${day}, ${y}`;
    if (k === 1) return `${p2(m)}/${p2(day)}/${y}`;
    if (k === 2) return `${day} ${MONTHS.en[m - 1]} ${y}`;
    return `${y}-${p2(m)}-${p2(day)}`;
  }
  if (k === 0 || k === 3) return `${day} de ${MONTHS[lang][m - 1]} de ${y}`;
  if (k === 1) return `${p2(day)}/${p2(m)}/${y}`;
  return r.chance(0.5) ? `${p2(day)}-${p2(m)}-${y}` : `${p2(day)}.${p2(m)}.${y}`;
}

function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z]/g, '');
}

function email(r: Prng, lang: Language): string {
  const first = fold(r.pick(FIRST[lang]));
  const last = fold(r.pick(LAST[lang]));
  const local = r.pick([`${first}.${last}`, `${first}${last}`, `${first[0]}${last}`, `${first}_${last}${r.int(1, 99)}`, `${last}.${first}${r.int(70, 99)}`, `${first}+compras`]);
  const domain = lang === 'pt' ? r.pick(['gmail.com', 'hotmail.com', 'uol.com.br', 'yahoo.com.br', 'sapo.pt', 'terra.com.br', 'outlook.com']) : lang === 'es' ? r.pick(['gmail.com', 'hotmail.com', 'outlook.es', 'yahoo.es', 'empresa.com.mx', 'telefonica.net', 'correo.cl']) : r.pick(['gmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'acme-corp.com', 'mail.example.org']);
  return r.chance(0.1) ? `${local}@${domain}`.toUpperCase() : `${local}@${domain}`;
}

function ipv4(r: Prng): string {
  return `${r.pick([10, 172, 192, 83, 187, 201, 45, 66, 200])}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
}

function ipv6(r: Prng): string {
  const h = () => r.int(0, 0xffff).toString(16);
  const groups = [r.pick(['2001', '2800', '2a02', 'fe80', '2804']), r.pick(['db8', '4860', '1c00', '0']), h(), h(), h(), h(), h(), h()];
  if (r.chance(0.5)) return `${groups[0]}:${groups[1]}::${groups[6]}:${groups[7]}`;
  return groups.join(':');
}

const SPOKEN: Record<Language, readonly string[]> = {
  es: ['cero', 'uno', 'dos', 'tres', 'cuatro', 'cinco', 'seis', 'siete', 'ocho', 'nueve'],
  pt: ['zero', 'um', 'dois', 'três', 'quatro', 'cinco', 'seis', 'sete', 'oito', 'nove'],
  en: ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'],
};
const FILLER: Record<Language, string> = { es: 'eh', pt: 'é', en: 'uh' };
const DOUBLE: Record<Language, string> = { es: 'doble', pt: 'dois', en: 'double' };

/** Digits read aloud, in groups of four separated by commas or pauses, now and then a filler. */
function spoken(r: Prng, lang: Language, digits: string): string {
  const words: string[] = [];
  let i = 0;
  const useDouble = lang === 'en' && r.chance(0.3);
  const filler = r.chance(0.12);
  while (i < digits.length) {
    const d = digits.charCodeAt(i) - 48;
    if (useDouble && digits[i + 1] === digits[i]) {
      words.push(`${DOUBLE[lang]} ${SPOKEN[lang][d]}`);
      i += 2;
    } else {
      words.push(SPOKEN[lang][d] as string);
      i++;
    }
    if (i % 4 === 0 && i < digits.length) {
      if (filler && i === 8) words.push(FILLER[lang]);
      const last = words.pop() as string;
      words.push(last + r.pick([',', '', '', '...']));
    }
  }
  return words.join(' ');
}

// ---------------------------------------------------------------------------------------------
// Hard negatives

function negative(r: Prng, lang: Language, kind: string): string {
  switch (kind) {
    case 'order':
      return r.pick([String(r.int(100000, 99999999)), `${r.pick(['PED', 'ORD', 'A'])}-${r.int(2019, 2025)}-${r.digits(6)}`, `#${r.int(10000, 999999)}`, r.digits(10).replace(/^0/, '7')]);
    case 'cardlike': {
      // Card-shaped order/reference numbers that fail Luhn (or fail the issuer table).
      const digits = nonCardDigits(r);
      return r.chance(0.5) ? formatCard(r, digits, r.pick(['space', 'none', 'dash'])) : digits;
    }
    case 'ticket':
      return r.pick([String(r.int(10000, 9999999)), `INC${r.digits(7)}`, `TK-${r.digits(5)}`, `#${r.digits(6)}`]);
    case 'invoice':
      return r.pick([`FAC-${r.int(2019, 2025)}-${r.digits(5)}`, `${r.int(2019, 2025)}/${r.int(1, 9999)}`, `F${r.digits(8)}`, `INV-${r.digits(6)}`, `NF ${r.digits(3)}.${r.digits(3)}.${r.digits(3)}`]);
    case 'tracking':
      return r.pick([`1Z${r.letters(3)}${r.digits(3)}${r.digits(10)}`, `${r.letters(2)}${r.digits(9)}BR`, `LX${r.digits(9)}${r.pick(['ES', 'PT', 'CN'])}`, r.digits(12), r.digits(22)]);
    case 'protocol': {
      for (;;) {
        const p = `${r.int(2020, 2025)}${r.digits(10)}`;
        if (!cnpjOk(p) && !luhnOk(p)) return p;
      }
    }
    case 'amount':
      return lang === 'en' ? r.pick([`$${r.int(1, 9)},${r.digits(3)}.${r.digits(2)}`, `$${r.int(10, 999)}.${r.digits(2)}`, `USD ${r.int(100, 9999)}`]) : lang === 'pt' ? r.pick([`R$ ${r.int(1, 9)}.${r.digits(3)},${r.digits(2)}`, `R$ ${r.int(10, 999)},${r.digits(2)}`, `${r.int(10, 999)} euros`]) : r.pick([`${r.int(1, 9)}.${r.digits(3)},${r.digits(2)} €`, `$${r.int(1, 99)}.${r.digits(3)}`, `${r.int(10, 999)} euros`, `S/ ${r.int(10, 999)}.${r.digits(2)}`]);
    case 'time':
      return r.pick([`${r.int(7, 20)}:${r.pick(['00', '15', '30', '45'])}`, `${r.int(1, 12)}:${r.pick(['00', '30'])} ${lang === 'en' ? r.pick(['pm', 'am']) : 'h'}`, `[00:${String(r.int(0, 59)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}]`]);
    case 'date':
      return date(r, lang, 2023, 2026);
    case 'imei': {
      // Luhn-valid 15 digits, like a card number: only the issuer table keeps it out.
      let body = r.pick(['35', '86', '01', '99']) + r.digits(12);
      body = luhnComplete(body);
      return r.chance(0.5) ? body : `${body.slice(0, 2)}-${body.slice(2, 8)}-${body.slice(8, 14)}-${body.slice(14)}`;
      function luhnComplete(partial: string): string {
        for (let c = 0; c <= 9; c++) if (luhnOk(partial + c)) return partial + c;
        return partial;
      }
    }
    case 'last4':
      return r.digits(4);
    case 'version':
      return `${r.int(1, 12)}.${r.int(0, 20)}.${r.int(0, 30)}.${r.int(0, 999)}`;
    case 'isbn': {
      const body = '978' + r.digits(9);
      let sum = 0;
      for (let i = 0; i < 12; i++) sum += (body.charCodeAt(i) - 48) * (i % 2 === 0 ? 1 : 3);
      const full = body + ((10 - (sum % 10)) % 10);
      return `${full.slice(0, 3)}-${full.slice(3, 4)}-${full.slice(4, 6)}-${full.slice(6, 12)}-${full.slice(12)}`;
    }
    case 'postcode':
      return lang === 'pt' ? `${r.digits(5)}-${r.digits(3)}` : r.digits(5);
    case 'product':
      return r.pick([`SKU ${r.digits(4)}-${r.letters(2)}-${r.digits(4)}`, `${r.letters(2)}-${r.digits(4)}`, `REF ${r.digits(5)}-${r.letters(1)}`, `${r.letters(3)}${r.digits(6)}`]);
    default: {
      // cpf-shaped or phone-shaped numbers of an order that fail the checksums
      for (;;) {
        const d = r.digits(11);
        if (!cpfOk(d) && !luhnOk(d)) return d;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Templates: `{TYPE}` is an entity, `{~kind}` a hard negative.

type Template = string;

const T: Record<Language, Record<string, readonly Template[]>> = {
  es: {
    greeting: ['Buenos días, gracias por llamar, ¿en qué le puedo ayudar?', 'Hola, bienvenido al servicio de atención al cliente.', 'Buenas tardes, le atiende {FIRST_CUE}, ¿en qué puedo ayudarle?'],
    name: ['Hola, me llamo {NAME}.', 'Mi nombre es {NAME} y llamo por un cargo.', 'Soy {NAME}, cliente desde hace años.', 'La tarjeta está a nombre de {NAME}.', 'Sí, es {NAME}.', '¿Hablo con el señor {SURNAME}?', 'Gracias, {FIRST}.', 'Perfecto, Sra. {SURNAME}, lo reviso.', 'El titular es {NAME}.', 'Mi esposo {NAME} también tiene cuenta.'],
    card: ['Mi tarjeta es {CARD_NUMBER}.', 'El número de la tarjeta es {CARD_NUMBER}', 'Le paso el número: {CARD_NUMBER}, es una Visa.', 'Tarjeta de crédito {CARD_NUMBER}, vence {CARD_EXPIRY}.', 'Es la {CARD_NUMBER} y el código de seguridad es {CARD_CVV}.', '{CARD_NUMBER}', 'ok la tarjeta {CARD_NUMBER} fecha de vencimiento {CARD_EXPIRY} cvv {CARD_CVV}'],
    cardSpoken: ['el número es {CARD_SPOKEN}', 'sí mire es {CARD_SPOKEN} ya está', 'la tarjeta termina... no, completa es {CARD_SPOKEN}'],
    cvv: ['El CVV es {CARD_CVV}.', 'Los tres dígitos del reverso son {CARD_CVV}.', 'Código de seguridad: {CARD_CVV}', 'Vence en {CARD_EXPIRY} y el CVC {CARD_CVV}.', 'La fecha de caducidad es {CARD_EXPIRY}.'],
    iban: ['Mi IBAN es {IBAN}.', 'Transfiéralo a la cuenta {IBAN}, por favor.', 'IBAN: {IBAN} a nombre de la empresa.', 'El código SWIFT es {SWIFT_BIC} y el IBAN {IBAN}.', 'BIC {SWIFT_BIC}'],
    ids: ['Mi DNI es {DNI}.', 'DNI {DNI}', 'El NIE es {NIE}.', 'Mi CURP es {CURP}.', 'RUT {RUT}, sin puntos no sé.', 'Mi RUT es {RUT}.', 'CUIT {CUIT}', 'El CUIT de la empresa es {CUIT}.', 'NIT {NIT} de la empresa.', 'Mi cédula es {CEDULA}.', 'Cédula de ciudadanía {CEDULA}', 'Número de pasaporte {PASSPORT}.', 'Tengo pasaporte, es el {PASSPORT}.', 'documento {DNI} y el pedido {~order}'],
    phone: ['Mi teléfono es {PHONE}.', 'Puede llamarme al {PHONE}.', 'Mi móvil: {PHONE}', 'Whatsapp {PHONE} por si acaso.', 'El fijo es el {PHONE}.', 'Me llamaron del {PHONE} y no sé quién es.', 'Apunte {PHONE}.'],
    email: ['Mi correo es {EMAIL}.', 'Envíelo a {EMAIL} por favor.', 'email: {EMAIL}', 'Escríbame a {EMAIL}, gracias.'],
    ip: ['Me conecté desde la IP {IP_ADDRESS}.', 'La dirección IP es {IP_ADDRESS}.', 'El router muestra {IP_ADDRESS} como IPv6.'],
    dob: ['Mi fecha de nacimiento es {DOB}.', 'Nací el {DOB}.', 'Fecha de nac.: {DOB}', 'nacida el {DOB}, creo que así lo registraron'],
    address: ['Vivo en {ADDRESS}.', 'La dirección es {ADDRESS}, Madrid.', 'Envíelo a {ADDRESS}.', 'Mi domicilio: {ADDRESS}, CP 28013.', 'Me mudé a {ADDRESS} el mes pasado.'],
    neg: ['Mi número de pedido es {~order}.', 'El pedido {~cardlike} no ha llegado.', 'Tengo el ticket {~ticket} abierto.', 'La factura {~invoice} está mal.', 'El número de seguimiento es {~tracking}.', 'Me cobraron {~amount} de más.', 'Le llamo a las {~time}.', 'La entrega es el {~date}.', 'El producto {~product} está roto.', 'Su número de caso es {~protocol}.', 'Referencia {~other} del envío.', 'Es el modelo {~product}, comprado el {~date} por {~amount}.', 'Localizador de reserva {~cardlike}.', 'Ya pagué {~amount} el {~date} a las {~time}.'],
    filler: ['Un momento, por favor.', 'Entendido.', 'Vale, muchas gracias.', '¿Algo más en lo que pueda ayudarle?', 'No, eso es todo.', 'Disculpe la espera.', 'Perfecto, ya lo tengo.', 'Claro que sí.'],
    close: ['Gracias por su llamada, que tenga un buen día.', 'Hasta luego.', 'Muchas gracias, adiós.'],
  },
  pt: {
    greeting: ['Bom dia, obrigado por ligar, em que posso ajudar?', 'Olá, bem-vindo ao atendimento.', 'Boa tarde, aqui fala {FIRST_CUE}, como posso ajudar?'],
    name: ['Olá, meu nome é {NAME}.', 'Me chamo {NAME} e estou ligando por uma cobrança.', 'Sou o {NAME}, cliente há anos.', 'O cartão está em nome de {NAME}.', 'Sim, é {NAME}.', 'Falo com o senhor {SURNAME}?', 'Obrigada, {FIRST}.', 'Certo, Sra. {SURNAME}, vou verificar.', 'O titular é {NAME}.', 'Minha esposa {NAME} também tem conta.'],
    card: ['Meu cartão é {CARD_NUMBER}.', 'O número do cartão é {CARD_NUMBER}', 'Vou passar o número: {CARD_NUMBER}, é Mastercard.', 'Cartão de crédito {CARD_NUMBER}, validade {CARD_EXPIRY}.', 'É o {CARD_NUMBER} e o código de segurança é {CARD_CVV}.', '{CARD_NUMBER}', 'ok cartão {CARD_NUMBER} validade {CARD_EXPIRY} cvv {CARD_CVV}'],
    cardSpoken: ['o número é {CARD_SPOKEN}', 'sim olha é {CARD_SPOKEN} pronto', 'o cartão é {CARD_SPOKEN}'],
    cvv: ['O CVV é {CARD_CVV}.', 'Os três dígitos do verso são {CARD_CVV}.', 'Código de segurança: {CARD_CVV}', 'Validade {CARD_EXPIRY} e o CVC {CARD_CVV}.', 'A data de validade é {CARD_EXPIRY}.'],
    iban: ['Meu IBAN é {IBAN}.', 'Transfira para a conta {IBAN}, por favor.', 'IBAN: {IBAN} em nome da empresa.', 'O código SWIFT é {SWIFT_BIC} e o IBAN {IBAN}.', 'BIC {SWIFT_BIC}'],
    ids: ['Meu CPF é {CPF}.', 'CPF {CPF}', 'O CPF do titular é {CPF}.', 'CNPJ da empresa: {CNPJ}.', 'O CNPJ é {CNPJ}', 'meu cpf é {CPF_SPOKEN}', 'Número do passaporte {PASSPORT}.', 'Tenho passaporte, é o {PASSPORT}.', 'Documento {CPF} e o pedido {~order}', 'RG e CPF: o CPF é {CPF}.'],
    phone: ['Meu telefone é {PHONE}.', 'Pode me ligar no {PHONE}.', 'Meu celular: {PHONE}', 'Whatsapp {PHONE} se precisar.', 'O fixo é {PHONE}.', 'Me ligaram do {PHONE} e não sei quem é.', 'Anota aí: {PHONE}.'],
    email: ['Meu e-mail é {EMAIL}.', 'Envie para {EMAIL} por favor.', 'email: {EMAIL}', 'Me escreva em {EMAIL}, obrigado.'],
    ip: ['Acessei do IP {IP_ADDRESS}.', 'O endereço IP é {IP_ADDRESS}.', 'O roteador mostra {IP_ADDRESS} como IPv6.'],
    dob: ['Minha data de nascimento é {DOB}.', 'Nasci em {DOB}.', 'Data de nasc.: {DOB}', 'nascida em {DOB}, acho que foi assim que registraram'],
    address: ['Moro na {ADDRESS}.', 'O endereço é {ADDRESS}, São Paulo.', 'Envie para {ADDRESS}.', 'Meu endereço: {ADDRESS}, CEP 01310-100.', 'Me mudei para a {ADDRESS} no mês passado.'],
    neg: ['O número do pedido é {~order}.', 'O pedido {~cardlike} não chegou.', 'Tenho o chamado {~ticket} aberto.', 'A fatura {~invoice} está errada.', 'O código de rastreio é {~tracking}.', 'Me cobraram {~amount} a mais.', 'Te ligo às {~time}.', 'A entrega é em {~date}.', 'O produto {~product} veio quebrado.', 'Seu protocolo é {~protocol}.', 'Referência {~other} do envio.', 'É o modelo {~product}, comprado em {~date} por {~amount}.', 'Nota fiscal {~cardlike}.', 'Já paguei {~amount} em {~date} às {~time}.'],
    filler: ['Um momento, por favor.', 'Entendi.', 'Tá bom, muito obrigado.', 'Mais alguma coisa em que posso ajudar?', 'Não, é só isso.', 'Desculpe a espera.', 'Perfeito, já anotei.', 'Claro.'],
    close: ['Obrigado pela ligação, tenha um bom dia.', 'Até logo.', 'Muito obrigada, tchau.'],
  },
  en: {
    greeting: ['Good morning, thanks for calling, how can I help you?', 'Hi, welcome to customer support.', 'Good afternoon, this is {FIRST_CUE}, how may I help?'],
    name: ["Hi, my name is {NAME}.", "I'm {NAME}, I've been a customer for years.", 'The card is under the name {NAME}.', 'Yes, it is {NAME}.', 'Am I speaking with Mr. {SURNAME}?', 'Thanks, {FIRST}.', "Sure, Mrs. {SURNAME}, I'll check.", 'The account holder is {NAME}.', 'My wife {NAME} also has an account.', 'This is {NAME} calling about my bill.'],
    card: ['My card number is {CARD_NUMBER}.', 'The card is {CARD_NUMBER}', "Here's the number: {CARD_NUMBER}, it's a Visa.", 'Credit card {CARD_NUMBER}, expires {CARD_EXPIRY}.', "It's {CARD_NUMBER} and the security code is {CARD_CVV}.", '{CARD_NUMBER}', 'ok card {CARD_NUMBER} expiry {CARD_EXPIRY} cvv {CARD_CVV}'],
    cardSpoken: ['the number is {CARD_SPOKEN}', "yeah so it's {CARD_SPOKEN} that's it", 'card number {CARD_SPOKEN}'],
    cvv: ['The CVV is {CARD_CVV}.', 'The three digits on the back are {CARD_CVV}.', 'Security code: {CARD_CVV}', 'Expiry {CARD_EXPIRY} and CVC {CARD_CVV}.', 'The expiration date is {CARD_EXPIRY}.'],
    iban: ['My IBAN is {IBAN}.', 'Please send it to account {IBAN}.', 'IBAN: {IBAN} in the company name.', 'The SWIFT code is {SWIFT_BIC} and the IBAN {IBAN}.', 'BIC {SWIFT_BIC}'],
    ids: ['My SSN is {SSN}.', 'Social security number {SSN}', 'my social is {SSN_SPOKEN}', 'Passport number {PASSPORT}.', 'I have a passport, it is {PASSPORT}.', 'SSN: {SSN}, and the order is {~order}', 'My social security number is {SSN}.'],
    phone: ['My phone number is {PHONE}.', 'You can call me at {PHONE}.', 'Mobile: {PHONE}', 'Text me at {PHONE} if needed.', 'The landline is {PHONE}.', 'Someone called me from {PHONE} and I do not know who.', 'Write this down: {PHONE}.'],
    email: ['My email is {EMAIL}.', 'Send it to {EMAIL} please.', 'email: {EMAIL}', 'Write to me at {EMAIL}, thanks.'],
    ip: ['I logged in from IP {IP_ADDRESS}.', 'The IP address is {IP_ADDRESS}.', 'The router shows {IP_ADDRESS} as the IPv6.'],
    dob: ['My date of birth is {DOB}.', 'I was born on {DOB}.', 'DOB: {DOB}', 'born {DOB} I think that is how they registered it'],
    address: ['I live at {ADDRESS}.', 'The address is {ADDRESS}, Springfield.', 'Ship it to {ADDRESS}.', 'My home address: {ADDRESS}, ZIP 10001.', 'I moved to {ADDRESS} last month.'],
    neg: ['My order number is {~order}.', 'Order {~cardlike} never arrived.', 'I have ticket {~ticket} open.', 'Invoice {~invoice} is wrong.', 'The tracking number is {~tracking}.', 'They charged me {~amount} extra.', "I'll call you at {~time}.", 'Delivery is on {~date}.', 'The product {~product} is broken.', 'Your case number is {~protocol}.', 'Reference {~other} for the shipment.', 'It is model {~product}, bought on {~date} for {~amount}.', 'Confirmation code {~cardlike}.', 'I paid {~amount} on {~date} at {~time}.'],
    filler: ['One moment, please.', 'Understood.', 'Okay, thank you very much.', 'Anything else I can help with?', "No, that's all.", 'Sorry for the wait.', 'Perfect, I have it.', 'Sure.'],
    close: ['Thanks for calling, have a nice day.', 'Goodbye.', 'Thank you, bye.'],
  },
};

const SPEAKERS: Record<Language, [string, string]> = {
  es: ['Agente', 'Cliente'],
  pt: ['Atendente', 'Cliente'],
  en: ['Agent', 'Customer'],
};

const TOPICS = ['name', 'card', 'card', 'cardSpoken', 'cvv', 'iban', 'ids', 'ids', 'phone', 'email', 'ip', 'dob', 'address', 'neg', 'neg', 'neg', 'filler'];

function cedula(r: Prng): string {
  const n = r.chance(0.5) ? String(r.int(10000000, 1299999999)) : String(r.int(1000000, 99999999));
  return r.chance(0.4) ? n.replace(/\B(?=(\d{3})+(?!\d))/g, '.') : n;
}

function passport(r: Prng, lang: Language): string {
  if (lang === 'en') return r.chance(0.7) ? r.digits(9) : r.letters(1) + r.digits(8);
  if (lang === 'pt') return r.letters(2) + r.digits(6);
  return r.pick([r.letters(3) + r.digits(6), r.letters(1) + r.digits(8), r.letters(2) + r.digits(6)]);
}

function fullWidth(s: string): string {
  return s.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + d.charCodeAt(0) - 48));
}

/** Writes one template into the builder. */
function render(b: Builder, r: Prng, lang: Language, template: Template, style: Style): void {
  const re = /\{(~?[A-Z_a-z]+)\}/g;
  let pos = 0;
  for (let m = re.exec(template); m !== null; m = re.exec(template)) {
    b.text(template.slice(pos, m.index));
    pos = m.index + m[0].length;
    const key = m[1] as string;
    if (key.startsWith('~')) {
      b.negative(key.slice(1), negative(r, lang, key.slice(1)));
      continue;
    }
    switch (key) {
      case 'NAME':
        b.entity('PERSON_NAME', fullName(r, lang));
        break;
      case 'NAME_LOWER':
        b.entity('PERSON_NAME', fullName(r, lang).toLowerCase());
        break;
      case 'PHONE_SPOKEN': {
        let digits: string;
        do digits = phone(r, lang).replace(/\D/g, '');
        while (digits.length > 11);
        b.entity('PHONE', spoken(r, lang, digits));
        break;
      }
      case 'EMAIL_SPOKEN': {
        const [local, domain] = email(r, lang).toLowerCase().split('@') as [string, string];
        const dot = lang === 'en' ? ' dot ' : lang === 'pt' ? ' ponto ' : ' punto ';
        const at = lang === 'en' ? ' at ' : ' arroba ';
        b.entity('EMAIL', local.replace(/[._+]/g, dot) + at + domain.replace(/\./g, dot));
        break;
      }
      case 'CEDULA_RG':
        // Brazil's RG (identity card) number: a cédula de identidade in the type set.
        b.entity('CEDULA', `${r.digits(2)}.${r.digits(3)}.${r.digits(3)}-${r.pick(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X'])}`);
        break;
      case 'CPF_SPACED': {
        const v = cpf(r);
        b.entity('CPF', `${v.slice(0, 3)} ${v.slice(3, 6)} ${v.slice(6, 9)} ${v.slice(9)}`);
        break;
      }
      case 'FIRST':
      case 'FIRST_CUE':
        b.entity('PERSON_NAME', r.pick(FIRST[lang]));
        break;
      case 'SURNAME':
        b.entity('PERSON_NAME', r.pick(LAST[lang]));
        break;
      case 'CARD_NUMBER': {
        let v = formatCard(r, cardNumber(r).digits);
        if (r.chance(0.03)) v = fullWidth(v);
        b.entity('CARD_NUMBER', v);
        break;
      }
      case 'CARD_SPOKEN':
        b.entity('CARD_NUMBER', spoken(r, lang, cardNumber(r, r.pick(['visa', 'mastercard', 'amex', 'elo'])).digits));
        break;
      case 'CARD_EXPIRY': {
        const m2 = String(r.int(1, 12)).padStart(2, '0');
        const y = r.int(25, 32);
        b.entity('CARD_EXPIRY', r.pick([`${m2}/${y}`, `${m2}/20${y}`, `${m2}-${y}`, `${Number(m2)}/${y}`]));
        break;
      }
      case 'CARD_CVV':
        b.entity('CARD_CVV', r.chance(0.85) ? r.digits(3) : r.digits(4));
        break;
      case 'IBAN': {
        const v = iban(r, lang === 'pt' ? r.pick(['PT', 'BR', 'PT', 'ES', 'FR']) : lang === 'es' ? r.pick(['ES', 'ES', 'ES', 'DE', 'IT']) : r.pick(['GB', 'DE', 'FR', 'NL', 'IE', 'ES']));
        b.entity('IBAN', r.chance(0.6) ? groupIban(v) : v);
        break;
      }
      case 'SWIFT_BIC':
        b.entity('SWIFT_BIC', bic(r));
        break;
      case 'CPF': {
        const v = cpf(r);
        b.entity('CPF', r.chance(0.7) ? `${v.slice(0, 3)}.${v.slice(3, 6)}.${v.slice(6, 9)}-${v.slice(9)}` : v);
        break;
      }
      case 'CPF_SPOKEN':
        b.entity('CPF', spoken(r, lang, cpf(r)));
        break;
      case 'CNPJ': {
        const v = cnpj(r);
        b.entity('CNPJ', r.chance(0.7) ? `${v.slice(0, 2)}.${v.slice(2, 5)}.${v.slice(5, 8)}/${v.slice(8, 12)}-${v.slice(12)}` : v);
        break;
      }
      case 'DNI': {
        const v = dni(r);
        b.entity('DNI', r.pick([v, v, v, `${v.slice(0, 8)}-${v.slice(8)}`, `${v.slice(0, 2)}.${v.slice(2, 5)}.${v.slice(5, 8)}-${v.slice(8)}`, `${v.slice(0, 8)}${v.slice(8).toLowerCase()}`]));
        break;
      }
      case 'NIE': {
        const v = nie(r);
        b.entity('NIE', r.chance(0.75) ? v : `${v[0]}-${v.slice(1, 8)}-${v[8]}`);
        break;
      }
      case 'CURP':
        b.entity('CURP', curp(r));
        break;
      case 'RUT': {
        const { body, dv } = rut(r);
        b.entity('RUT', r.chance(0.6) ? `${body.replace(/\B(?=(\d{3})+(?!\d))/g, '.')}-${dv}` : `${body}-${dv}`);
        break;
      }
      case 'CUIT': {
        const v = cuit(r);
        b.entity('CUIT', r.chance(0.7) ? `${v.slice(0, 2)}-${v.slice(2, 10)}-${v.slice(10)}` : v);
        break;
      }
      case 'NIT': {
        const v = nit(r);
        b.entity('NIT', r.chance(0.6) ? `${v.slice(0, 3)}.${v.slice(3, 6)}.${v.slice(6, 9)}-${v.slice(9)}` : `${v.slice(0, 9)}-${v.slice(9)}`);
        break;
      }
      case 'SSN': {
        const v = ssn(r);
        b.entity('SSN', r.chance(0.85) ? v : v.replace(/-/g, ''));
        break;
      }
      case 'SSN_SPOKEN':
        b.entity('SSN', spoken(r, lang, ssn(r).replace(/-/g, '')));
        break;
      case 'CEDULA':
        b.entity('CEDULA', cedula(r));
        break;
      case 'PASSPORT':
        b.entity('PASSPORT', passport(r, lang));
        break;
      case 'PHONE': {
        let v = phone(r, lang);
        if (r.chance(0.05)) v = v.replace(/ /g, '\u00a0');
        b.entity('PHONE', v);
        break;
      }
      case 'EMAIL':
        b.entity('EMAIL', email(r, lang));
        break;
      case 'IP_ADDRESS':
        b.entity('IP_ADDRESS', template.includes('IPv6') ? ipv6(r) : r.chance(0.8) ? ipv4(r) : ipv6(r));
        break;
      case 'DOB':
        b.entity('DATE_OF_BIRTH', date(r, lang, 1940, 2006));
        break;
      case 'ADDRESS':
        b.entity('ADDRESS', address(r, lang));
        break;
      default:
        throw new Error(`corpus: unknown placeholder ${key}`);
    }
  }
  const tail = template.slice(pos);
  b.text(style === 'transcript' ? tail.replace(/[.!?¿¡]/g, '') : tail);
}

function dialogue(r: Prng, lang: Language, style: Style, id: string, bank: Record<Language, Record<string, readonly Template[]>>): Sample {
  const T = bank;
  const b = new Builder();
  const [agent, customer] = SPEAKERS[lang];
  const turns = r.int(4, 10);
  const line = (speaker: string, chosen: string, k: number) => {
    // Digits read aloud belong to calls; in chats and e-mails people type them.
    const topic = chosen === 'cardSpoken' && style !== 'transcript' ? 'card' : chosen;
    const templates = T[lang][topic] as readonly Template[];
    let template = r.pick(templates);
    if (style === 'transcript') template = template.replace(/^¿|^¡/, '');
    if (style === 'chat') b.text(`${speaker}: `);
    else if (style === 'transcript') b.text(`[00:${String(Math.min(59, k)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}] ${speaker.toLowerCase()}: `);
    render(b, r, lang, style === 'transcript' && topic === 'card' && r.chance(0.5) ? r.pick(T[lang].cardSpoken as readonly Template[]) : template, style);
    b.text('\n');
  };
  if (style === 'email') {
    b.text(lang === 'en' ? 'Subject: my account\n\nHello,\n\n' : lang === 'pt' ? 'Assunto: minha conta\n\nOlá,\n\n' : 'Asunto: mi cuenta\n\nHola,\n\n');
    for (let k = 0; k < turns; k++) {
      const topic = r.pick(TOPICS);
      render(b, r, lang, r.pick(T[lang][topic === 'cardSpoken' ? 'card' : topic] as readonly Template[]), style);
      b.text(r.chance(0.3) ? '\n\n' : ' ');
    }
    b.text(lang === 'en' ? '\n\nBest regards,\n' : lang === 'pt' ? '\n\nAtenciosamente,\n' : '\n\nSaludos,\n');
    b.entity('PERSON_NAME', fullName(r, lang));
    b.text('\n');
  } else {
    line(agent, 'greeting', 0);
    for (let k = 1; k <= turns; k++) line(k % 2 === 1 ? customer : agent, r.pick(TOPICS), k);
    line(agent, 'close', turns + 1);
  }
  return { id, language: lang, style, text: b.build(), gold: b.gold, negatives: b.negatives };
}

// ---------------------------------------------------------------------------------------------
// Hard-wrapped e-mails: a card number cut by the line break of a wrapper (72 columns, CR LF, a
// reply's quote prefix), next to numbers that must stay apart although they sit on consecutive
// lines and would pass the card checks if joined.

const WRAP_LEAD: Record<Language, readonly string[]> = {
  es: ['Buenas tardes, el cargo de ayer sigue sin aparecer; les paso otra vez la tarjeta', 'Como me pidieron por teléfono, el número completo de mi tarjeta de crédito es', 'Perdón por la demora, les confirmo que pagué con la tarjeta'],
  pt: ['Boa tarde, a cobrança de ontem ainda não apareceu; passo de novo o cartão', 'Conforme pedido por telefone, o número completo do meu cartão de crédito é', 'Desculpem a demora, confirmo que paguei com o cartão'],
  en: ["Good afternoon, yesterday's charge still has not shown up; here is the card again:", 'As you asked on the phone, the full number of my credit card is', 'Sorry for the delay, I confirm that I paid with the card'],
};
const WRAP_TAIL: Record<Language, readonly string[]> = {
  es: [' y el titular soy yo.', ', gracias.', '. Quedo atento.'],
  pt: [' e o titular sou eu.', ', obrigado.', '. Fico no aguardo.'],
  en: [' and I am the holder.', ', thanks.', '. Looking forward to your reply.'],
};
const WRAP_LIST: Record<Language, readonly [string, string, string]> = {
  es: ['Mis pedidos pendientes:', 'Códigos de recogida:', 'Mi pedido'],
  pt: ['Meus pedidos pendentes:', 'Códigos de retirada:', 'Meu pedido'],
  en: ['My open orders:', 'Pickup codes:', 'My order'],
};

/** A 16-digit card number: cut into groups, what the hard negatives below are made of. */
function cardDigits(r: Prng): string {
  for (;;) {
    const d = cardNumber(r, r.pick(['visa', 'mastercard', 'discover'])).digits;
    if (d.length === 16) return d;
  }
}

/** One e-mail with a wrapped card number (gold) and numbers one per line (hard negatives). */
function wrappedSample(r: Prng, lang: Language, id: string): Sample {
  const b = new Builder();
  const eol = r.chance(0.3) ? '\r\n' : '\n';
  const quoted = r.chance(0.35);
  const q = quoted ? r.pick(['> ', '>> ', '> > ']) : '';
  b.text(lang === 'en' ? `Subject: payment${eol}${eol}` : lang === 'pt' ? `Assunto: pagamento${eol}${eol}` : `Asunto: pago${eol}${eol}`);
  if (quoted) b.text(lang === 'en' ? `On Monday, the bank wrote:${eol}` : lang === 'pt' ? `Na segunda-feira, o banco escreveu:${eol}` : `El lunes, el banco escribió:${eol}`);
  // The card, space-separated as printed, broken at one of its spaces the way a wrapper breaks.
  const card = formatCard(r, cardNumber(r, r.pick(['visa', 'visa', 'mastercard', 'mastercard2', 'amex', 'diners', 'discover', 'elo', 'jcb'])).digits, 'space');
  const spaces: number[] = [];
  for (let i = 0; i < card.length; i++) if (card[i] === ' ') spaces.push(i);
  const cut = r.pick(spaces);
  const brk = `${r.pick(['', '', ' '])}${eol}${q}`;
  b.text(`${q}${r.pick(WRAP_LEAD[lang])} `);
  b.entity('CARD_NUMBER', card.slice(0, cut) + brk + card.slice(cut + 1));
  b.text(`${r.pick(WRAP_TAIL[lang])}${eol}${eol}`);
  const [orders, codes, order] = WRAP_LIST[lang];
  switch (r.int(0, 3)) {
    case 0: {
      // Order numbers written 4 + 4, one per line: each pair of lines is a valid card number.
      b.text(`${orders}${eol}`);
      for (let k = 0; k < 2; k++) {
        const d = cardDigits(r);
        b.negative('order', `${d.slice(0, 4)} ${d.slice(4, 8)}`);
        b.text(eol);
        b.negative('order', `${d.slice(8, 12)} ${d.slice(12)}`);
        b.text(eol);
      }
      break;
    }
    case 1: {
      // Four-digit codes one per line: together, a valid card number.
      b.text(`${codes}${eol}`);
      const d = cardDigits(r);
      for (let k = 0; k < 16; k += 4) {
        b.negative('ticket', d.slice(k, k + 4));
        b.text(eol);
      }
      break;
    }
    case 2: {
      // An order number after its name, its last groups on the next line: refused after "pedido".
      const d = cardDigits(r);
      b.text(`${order} `);
      b.negative('order', `${d.slice(0, 4)} ${d.slice(4, 8)}`);
      b.text(eol);
      b.negative('order', `${d.slice(8, 12)} ${d.slice(12)}`);
      b.text(r.pick([' ok.', '.', '']) + eol);
      break;
    }
    default: {
      // A whole card on one line, then a date or an amount on the next: nothing is lengthened.
      b.text(`${q}${r.pick(WRAP_LEAD[lang])} `);
      b.entity('CARD_NUMBER', formatCard(r, cardDigits(r), 'space'));
      b.text(eol + q);
      b.negative(r.chance(0.5) ? 'date' : 'amount', r.chance(0.5) ? date(r, lang, 2023, 2026) : negative(r, lang, 'amount'));
      b.text(eol);
    }
  }
  b.text(lang === 'en' ? `${eol}Best regards,${eol}` : lang === 'pt' ? `${eol}Atenciosamente,${eol}` : `${eol}Saludos,${eol}`);
  b.entity('PERSON_NAME', fullName(r, lang));
  b.text(eol);
  return { id, language: lang, style: 'email', text: b.build(), gold: b.gold, negatives: b.negatives };
}

// ---------------------------------------------------------------------------------------------
// A card number on one line right after a short number of its own in the same run of digit
// groups ("pagué 12 4111 ..."), next to numbers that hold a Luhn-valid card-shaped window but are
// one longer code, and eight-digit numbers starting with 1 (a Lima landline's shape) with and
// without a phone word.

const LEAD_CARD: Record<Language, readonly ((n: string) => string)[]> = {
  es: [(n) => `pagué ${n}`, (n) => `nº ${n}`, (n) => `son ${n} euros con la`, (n) => `el ${n} usé la`],
  pt: [(n) => `paguei ${n}`, (n) => `nº ${n}`, (n) => `foram ${n} reais no`, (n) => `em ${n} usei o`],
  en: [(n) => `I paid ${n}`, (n) => `no. ${n}`, (n) => `it was ${n} dollars on`, (n) => `x ${n}`],
};
const LEAD_NEG: Record<Language, readonly [string, string, string, string]> = {
  es: ['Mi pedido', 'En la etiqueta pone', 'Mi número de socio es', 'Mi teléfono en Lima es'],
  pt: ['Meu pedido', 'Na etiqueta está', 'Meu número de sócio é', 'Meu telefone em Lima é'],
  en: ['My order', 'The label says', 'My member number is', 'My phone in Lima is'],
};

/** Eight digits starting with 1 that are a valid Lima landline, as `1xxx xxxx`. */
function limaDigits(r: Prng): string {
  for (;;) {
    const d = `1${r.digits(7)}`;
    if (parsePhoneNumberFromString(d, 'PE')?.isValid() === true) return `${d.slice(0, 4)} ${d.slice(4)}`;
  }
}

/** One chat: a card after a short number (gold), longer codes holding a valid window (hard negatives). */
function leadSample(r: Prng, lang: Language, id: string): Sample {
  const b = new Builder();
  const [agent, customer] = SPEAKERS[lang];
  const [order, label, member, lima] = LEAD_NEG[lang];
  b.text(`${agent}: `);
  render(b, r, lang, r.pick(T[lang].greeting as readonly Template[]), 'chat');
  b.text('\n');
  const n = r.pick([String(r.int(1, 99)), String(r.int(1, 9)), String(r.int(2019, 2025)), String(r.int(100, 999))]);
  b.text(`${customer}: ${r.pick(LEAD_CARD[lang])(n)} `);
  b.entity('CARD_NUMBER', formatCard(r, cardNumber(r).digits, r.pick(['space', 'space', 'dash', 'none'])));
  b.text(r.pick(['', '.', ', ok']) + '\n');
  // Not the whole chunk, after a reference word: refused although the window passes Luhn.
  b.text(`${customer}: ${order} `);
  b.negative('order', `${r.int(1, 99)} ${formatCard(r, cardDigits(r), 'space')}`);
  b.text('.\n');
  // A run of groups of four with a valid card inside, no context word at all.
  b.text(`${agent}: ${label} `);
  b.negative('other', `${r.pick(['1', '7', '8', '9'])}${r.digits(3)} ${formatCard(r, cardDigits(r), 'space')} ${r.digits(4)}`);
  b.text('.\n');
  // A Lima landline's shape without a phone word, then a real one after it.
  b.text(`${customer}: ${member} `);
  b.negative('other', limaDigits(r));
  b.text(`.\n${customer}: ${lima} `);
  b.entity('PHONE', limaDigits(r));
  b.text('.\n');
  return { id, language: lang, style: 'chat', text: b.build(), gold: b.gold, negatives: b.negatives };
}

export interface CorpusOptions {
  seed?: number;
  /** `dev`: the templates the detectors were tuned on; `heldout`: those they never were. */
  split?: 'dev' | 'heldout';
  /** Samples per language. */
  perLanguage?: number;
}

export const DEFAULT_SEED = 20260524;

/**
 * The corpus: `perLanguage` samples in each of es, pt, en (60% chat, 25% transcript, 15% e-mail);
 * the dev split also ends with `perLanguage / 50` hard-wrapped e-mails per language, then as many
 * chats with a card after a short number (see above).
 */
export function generateCorpus(options: CorpusOptions = {}): Sample[] {
  const split = options.split ?? 'heldout';
  // The held-out split also draws its values from another stream.
  const r = new Prng((options.seed ?? DEFAULT_SEED) + (split === 'heldout' ? 7919 : 0));
  const bank = split === 'heldout' ? HELDOUT : T;
  const per = options.perLanguage ?? 600;
  const out: Sample[] = [];
  for (const lang of ['es', 'pt', 'en'] as const) {
    for (let i = 0; i < per; i++) {
      const x = r.next();
      const style: Style = x < 0.6 ? 'chat' : x < 0.85 ? 'transcript' : 'email';
      out.push(dialogue(r, lang, style, `${split}-${lang}-${String(i).padStart(4, '0')}`, bank));
    }
  }
  if (split === 'dev') {
    // Written together with the detector rule they exercise, so dev, not held-out; drawn from their
    // own stream and appended, so the samples above are the same as before they existed.
    const w = new Prng((options.seed ?? DEFAULT_SEED) + 104729);
    const count = Math.max(1, Math.round(per / 50));
    for (const lang of ['es', 'pt', 'en'] as const) {
      for (let i = 0; i < count; i++) out.push(wrappedSample(w, lang, `${split}-${lang}-wrapped-${String(i).padStart(2, '0')}`));
    }
    // Likewise for the card after a short number on its line, from a third stream.
    const l = new Prng((options.seed ?? DEFAULT_SEED) + 130363);
    for (const lang of ['es', 'pt', 'en'] as const) {
      for (let i = 0; i < count; i++) out.push(leadSample(l, lang, `${split}-${lang}-lead-${String(i).padStart(2, '0')}`));
    }
  }
  return out;
}
