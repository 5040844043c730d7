/**
 * Texts of the messages that carry a code, per language (es, pt, en), with defaults shipped and
 * per-tenant overrides (settings.templates). A template names `{code}` once and may name
 * `{minutes}` and `{brand}`; nothing else is substituted, so a template cannot reach other data.
 *
 * The code comes first in an SMS (phones show the start in notifications), and every text says
 * that nobody will ask for it: the usual fraud is a caller posing as the bank asking the customer
 * to read the code out.
 */
export const LANGUAGES = ['es', 'pt', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export interface EmailTemplate {
  readonly subject: string;
  readonly text: string;
}

export const DEFAULT_SMS: { readonly [L in Language]: string } = {
  es: '{code} es su código de verificación de {brand}. Caduca en {minutes} min. No lo comparta: nadie se lo pedirá.',
  pt: '{code} é o seu código de verificação {brand}. Expira em {minutes} min. Não o partilhe: ninguém lho vai pedir.',
  en: '{code} is your {brand} verification code. It expires in {minutes} min. Do not share it: nobody will ask you for it.',
};

export const DEFAULT_VOICE: { readonly [L in Language]: string } = {
  es: 'Su código de verificación de {brand} es {code}. Repito: {code}. No lo comparta con nadie.',
  pt: 'O seu código de verificação {brand} é {code}. Repito: {code}. Não o partilhe com ninguém.',
  en: 'Your {brand} verification code is {code}. Again: {code}. Do not share it with anyone.',
};

export const DEFAULT_EMAIL: { readonly [L in Language]: EmailTemplate } = {
  es: {
    subject: 'Su código de verificación de {brand}',
    text: 'Su código de verificación es: {code}\n\nCaduca en {minutes} minutos. Díctelo solo al agente con quien habla ahora; nadie de {brand} se lo pedirá por otra vía.\n\nSi no está hablando con nosotros, ignore este mensaje.',
  },
  pt: {
    subject: 'O seu código de verificação {brand}',
    text: 'O seu código de verificação é: {code}\n\nExpira em {minutes} minutos. Indique-o apenas ao agente com quem está a falar agora; ninguém da {brand} lho pedirá por outra via.\n\nSe não está a falar connosco, ignore esta mensagem.',
  },
  en: {
    subject: 'Your {brand} verification code',
    text: 'Your verification code is: {code}\n\nIt expires in {minutes} minutes. Give it only to the agent you are speaking with now; nobody from {brand} will ask for it any other way.\n\nIf you are not in contact with us, ignore this message.',
  },
};

const PLACEHOLDER = /\{([a-z]+)\}/g;
const ALLOWED = new Set(['code', 'minutes', 'brand']);

/** Why a template is refused, or undefined when it is fine. */
export function templateProblem(template: string): string | undefined {
  const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
  if (!names.includes('code')) return 'must contain {code}';
  const unknown = names.find((n) => !ALLOWED.has(n));
  if (unknown !== undefined) return `unknown placeholder {${unknown}}`;
  if (/[0-9]{8}/.test(template.replace(PLACEHOLDER, ''))) return 'must not contain 8 or more digits in a row';
  return undefined;
}

/** Fills a template. Values are inserted once: a `{...}` inside a value is not expanded again. */
export function render(template: string, values: { code: string; minutes: number; brand: string }): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    if (name === 'code') return values.code;
    if (name === 'minutes') return String(values.minutes);
    if (name === 'brand') return values.brand;
    return whole;
  });
}

/** A language for a stored preference such as `pt-BR`, `Español` or `en`; `fallback` otherwise. */
export function languageOf(preference: string | null | undefined, fallback: Language): Language {
  if (preference === null || preference === undefined) return fallback;
  const p = preference.trim().toLowerCase();
  if (p.startsWith('es') || p.startsWith('spa') || p === 'castellano') return 'es';
  if (p.startsWith('pt') || p.startsWith('por')) return 'pt';
  if (p.startsWith('en')) return 'en';
  return fallback;
}
