/**
 * Context words, per language, as folded single tokens (lower case, no accents): "código de
 * seguridad" is found by its distinctive word `seguridad`. Words shared by all languages
 * (acronyms such as `cvv`, `iban`) are in `any`. A detector looks up the set for the text's
 * language; the `any` words are in every set.
 */
import { WordSet } from './text.js';
import type { Language } from './types.js';

export type CueSet = Readonly<Record<Language, WordSet>>;

function cues(words: { es?: string[]; pt?: string[]; en?: string[]; any?: string[] }): CueSet {
  const any = words.any ?? [];
  return Object.freeze({
    es: new WordSet([...any, ...(words.es ?? [])]),
    pt: new WordSet([...any, ...(words.pt ?? [])]),
    en: new WordSet([...any, ...(words.en ?? [])]),
  });
}

export const CVV_CUES = cues({
  any: ['cvv', 'cvc', 'cvv2', 'cvc2', 'csc', 'cid', 'cav', 'cvn'],
  es: ['seguridad', 'verificacion', 'verificador', 'reverso', 'dorso', 'atras'],
  pt: ['seguranca', 'verificacao', 'verificador', 'verso', 'tras'],
  en: ['security', 'verification', 'back'],
});

export const EXPIRY_CUES = cues({
  any: ['exp', 'expiry', 'expira', 'valid'],
  es: ['vence', 'vencimiento', 'caduca', 'caducidad', 'expiracion', 'vencimento', 'valida', 'hasta', 'expira'],
  pt: ['validade', 'vencimento', 'vence', 'expira', 'valido', 'valida', 'expiracao'],
  en: ['expiry', 'expires', 'expiration', 'expiring', 'thru', 'through', 'until'],
});

export const CARD_CUES = cues({
  any: ['visa', 'mastercard', 'amex'],
  es: ['tarjeta', 'credito', 'debito'],
  pt: ['cartao', 'credito', 'debito'],
  en: ['card', 'credit', 'debit'],
});

export const BIC_CUES = cues({ any: ['swift', 'bic', 'swiftbic'] });

export const CPF_CUES = cues({ any: ['cpf'] });
export const CNPJ_CUES = cues({ any: ['cnpj'] });
export const CUIT_CUES = cues({ any: ['cuit', 'cuil'] });
export const NIT_CUES = cues({ any: ['nit'] });
export const RUT_CUES = cues({ any: ['rut', 'run'] });
export const SSN_CUES = cues({
  any: ['ssn'],
  es: ['social'],
  pt: ['social'],
  en: ['social', 'security'],
});
export const DNI_CUES = cues({ any: ['dni', 'nif', 'nie', 'documento', 'identidad'] });

export const CEDULA_CUES = cues({
  any: ['cedula', 'cc', 'ci', 'dpi', 'rg', 'identidad', 'identidade'],
  es: ['documento', 'ciudadania', 'identificacion'],
  pt: ['documento', 'identidade', 'rg'],
  en: ['id', 'identity'],
});

export const PASSPORT_CUES = cues({
  any: ['pasaporte', 'passaporte', 'passport'],
});

export const PHONE_CUES = cues({
  any: ['tel', 'telf', 'whatsapp', 'movil', 'celular', 'fax'],
  es: ['telefono', 'movil', 'celular', 'llamar', 'llamarme', 'llame', 'llamame', 'llamenme', 'llamanos', 'contacto', 'fijo', 'marque'],
  pt: ['telefone', 'telemovel', 'celular', 'ligar', 'ligue', 'contato', 'contacto', 'fixo'],
  en: ['phone', 'mobile', 'cell', 'call', 'reach', 'landline', 'text'],
});

/** Words that say a number is a reference of the business, not a person's (hard negatives). */
export const REFERENCE_CUES = cues({
  any: ['ref', 'sku', 'cep', 'zip', 'postal', 'cp'],
  es: ['pedido', 'orden', 'ticket', 'factura', 'seguimiento', 'referencia', 'incidencia', 'caso', 'expediente', 'envio', 'albaran', 'producto', 'modelo', 'codigo', 'reclamo', 'reclamacion', 'solicitud', 'contrato', 'poliza', 'serie', 'lote', 'reserva', 'localizador', 'guia'],
  pt: ['pedido', 'ordem', 'ticket', 'fatura', 'nota', 'rastreio', 'rastreamento', 'referencia', 'protocolo', 'chamado', 'caso', 'envio', 'produto', 'modelo', 'codigo', 'reclamacao', 'solicitacao', 'contrato', 'apolice', 'serie', 'lote', 'reserva', 'encomenda'],
  en: ['order', 'ticket', 'invoice', 'tracking', 'reference', 'case', 'incident', 'shipment', 'product', 'model', 'code', 'claim', 'request', 'contract', 'policy', 'serial', 'batch', 'booking', 'confirmation', 'item', 'part'],
});

export const DOB_CUES = cues({
  any: ['dob', 'nac', 'nasc'],
  es: ['naci', 'nacio', 'nacido', 'nacida', 'nacimiento', 'cumpleanos'],
  pt: ['nasci', 'nasceu', 'nascido', 'nascida', 'nascimento', 'aniversario'],
  en: ['born', 'birth', 'birthday', 'birthdate', 'dob'],
});

export const NAME_CUES = cues({
  es: ['llamo', 'nombre', 'soy', 'habla', 'atiende', 'sr', 'sra', 'srta', 'senor', 'senora', 'senorita', 'don', 'dona', 'dr', 'dra', 'titular', 'apellido', 'apellidos'],
  pt: ['chamo', 'nome', 'sou', 'fala', 'falando', 'sr', 'sra', 'srta', 'senhor', 'senhora', 'dona', 'dr', 'dra', 'titular', 'sobrenome'],
  en: ['name', 'im', 'mr', 'mrs', 'ms', 'miss', 'dr', 'sir', 'madam', 'holder', 'surname', 'speaking'],
});
