export { type CustomerActor } from './audit.js';
export { CustomerErrors } from './errors.js';
export { ensureFieldSchema, type FieldSchema, loadFieldSchema, replaceFieldSchema, type SchemaChanges, validateFieldSchema } from './field-schema.js';
export {
  CUSTOMER_NUMBER_KEY,
  DEFAULT_FIELDS,
  FIELD_CLASSES,
  FIELD_TYPES,
  type FieldClass,
  type FieldDefinition,
  type FieldDefinitionInput,
  type FieldType,
  isEncryptedClass,
  SEARCHABLE_TYPES,
} from './fields.js';
export { DEFAULT_BATCH_SIZE, type ExistingPolicy, type ImportFormat, importCustomers, type ImportOptions, type ImportProgress, type ImportSummary, type RowError } from './import.js';
export { type RetentionJob, type RetentionRun, startRetentionJob } from './retention.js';
export { registerCustomerRoutes } from './routes.js';
export { registerSubjectRightsRoutes } from './subject-rights-routes.js';
export { customerExportHtml, type CustomerExport, eraseCustomer, type ErasureResult, erasedCustomerNumber, exportCustomer, purgeExpiredFields, type PurgeResult } from './subject-rights.js';
export {
  confirmFields,
  createCustomer,
  type CreateCustomerInput,
  type CustomerDeps,
  type CustomerQuery,
  type CustomerRecord,
  type CustomerRecordField,
  decryptFieldValue,
  decryptFieldValues,
  type FieldChanges,
  findCustomers,
  loadCustomerRecord,
  MAX_SEARCH_RESULTS,
  staleFields,
  type StaleField,
  type StoredFieldValue,
  updateCustomerFields,
  valueLocation,
} from './service.js';
export { countCustomers, findCustomerById, insertCustomerNumbers } from './store.js';
export { type FieldValue, type PostalAddress } from './values.js';
