import { defineErrors } from '../platform/errors.js';

export const LedgerErrors = defineErrors('ledger', {
  invalid_entry: { status: 400, title: 'The ledger entry is not valid' },
  signing_key_unavailable: { status: 500, title: 'The ledger signing key could not be loaded' },
  beyond_tree: { status: 404, title: 'That entry or tree size is not in the ledger yet' },
  invalid_range: { status: 400, title: 'The proof range is not valid' },
  corrupt: { status: 500, title: 'The stored ledger is inconsistent; run custodia ledger verify' },
  export_failed: { status: 502, title: 'The ledger export could not be delivered' },
  cursor_invalid: { status: 400, title: 'The export cursor is not valid for this ledger' },
});
