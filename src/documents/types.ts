/** The identity documents this module checks; `mrz` is the machine-readable zone of ICAO 9303. */
export type DocumentType = 'cpf' | 'cnpj' | 'dni' | 'nie' | 'curp' | 'rut' | 'cuit' | 'nit' | 'ssn' | 'mrz';

/**
 * Why an input is not a valid document number, from the most basic failure to the most specific:
 * - `format`: characters or structure that the document never has;
 * - `length`: the right characters, the wrong number of them;
 * - `check_digit`: well formed, but the check digit(s) do not match (a typo, or made up);
 * - `reserved`: well formed and even check-digit valid, but a value the issuer never assigns
 *   (CPF 111.111.111-11, SSN area 666, the SSNs printed in advertisements);
 * - `date`: an embedded date that is not a calendar date, or a birth date in the future;
 * - `expired`: an MRZ whose expiry date is before the reference day.
 */
export type DocumentInvalidReason = 'format' | 'check_digit' | 'reserved' | 'date' | 'expired' | 'length';

export type DocumentCheck =
  | {
      valid: true;
      type: DocumentType;
      /** The canonical form: separators removed, upper case (MRZ: its lines joined by `\n`). */
      normalized: string;
      /** ISO 3166-1 alpha-2 of the issuing country; `XX` for an MRZ whose state has no ISO code. */
      country: string;
    }
  | { valid: false; type: DocumentType; reason: DocumentInvalidReason };

/** A national document's rule: the reason it fails, or null when it passes. Input is normalized. */
export type NationalRule = (normalized: string, now: Date) => DocumentInvalidReason | null;
