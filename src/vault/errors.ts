import { defineErrors } from '../platform/errors.js';

/**
 * Vault failures. Decryption failures are deliberately coarse for clients: a tampered byte, a
 * ciphertext moved to another record, field or tenant, and a wrong key all answer the same
 * `vault.decrypt_failed`, so an attacker learns nothing about which check failed.
 */
export const VaultErrors = defineErrors('vault', {
  decrypt_failed: { status: 500, title: 'A protected value could not be decrypted' },
  malformed_ciphertext: { status: 500, title: 'A protected value is malformed' },
  unknown_key_version: { status: 500, title: 'A protected value refers to an unknown key version' },
  key_shredded: { status: 410, title: 'The data key of this record was destroyed (erased)' },
  key_provider_failed: { status: 500, title: 'The key provider could not supply the key' },
  invalid_key_material: { status: 500, title: 'The configured key material is invalid' },
  key_in_use: { status: 409, title: 'The key is still in use' },
  /**
   * Tokenization drew five random tokens for a card and every one was already taken in the
   * tenant: the tokens that share this card's kept digits (last four, and first six when asked)
   * are (nearly) all in use. 500, not 503: 503 says "temporary, retry later", and clients and
   * proxies retry it on their own, but this does not clear with time; once the space is full every
   * retry fails the same way. Nor is it the caller's mistake (4xx): the card number is valid. The
   * remedy is the operator's: tokenize without `keepFirstSix` (a 13-digit card keeping its first
   * six digits has only 900 tokens; without them, 900 million).
   */
  token_space_exhausted: { status: 500, title: 'No unused card token could be allocated' },
  invalid_value: { status: 400, title: 'The value is not valid for this field' },
  invalid_card_number: { status: 400, title: 'The card number is not valid' },
  cvv_not_storable: { status: 400, title: 'Card security codes (CVV) are never stored' },
});

export const TokenErrors = defineErrors('tokens', {
  // Unknown token and a token of another tenant answer alike.
  not_found: { status: 404, title: 'No such card token' },
  forbidden: { status: 403, title: 'Only the payment role may detokenize card numbers' },
});
