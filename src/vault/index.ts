export { type Sealed } from './aead.js';
export { createKeyProvider, createVault, ensureLocalKeyFile, localKeyFile } from './create.js';
export { TokenErrors, VaultErrors } from './errors.js';
export { type FieldLocation, RecordCipher } from './field-cipher.js';
export type { KeyProvider } from './key-providers/key-provider.js';
export { type DataKey, type KeyOwner, Keyring } from './keyring.js';
export { maskValue, type MaskFieldType } from './masking.js';
export { type BlindIndexKind, type Detokenizer, Vault } from './vault.js';
export { REWRAP_JOB, rewrapJobKind, type RotationDeps, rotationStatus, runRewrap, startRotation } from './rotation.js';
