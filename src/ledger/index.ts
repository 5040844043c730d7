export { canonicalJson, decodeEntry, encodeEntry, type LedgerEntry, type LedgerEntryInput, ledgerEntryInput } from './entry.js';
export { LedgerErrors } from './errors.js';
export { Ledger, type LedgerOptions, type SequenceResult, type StoredCheckpoint } from './ledger.js';
export * as merkle from './merkle.js';
export { recordEntry } from './record.js';
export { deliverToWitness, type LedgerSequencer, startLedgerSequencer, witnessRecord } from './sequencer.js';
export { type Checkpoint, checkpointNote, keyIdOf, type LedgerSigner, loadSigner, signingKeys, verifyCheckpoint } from './signing.js';
