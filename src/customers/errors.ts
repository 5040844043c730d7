import { defineErrors } from '../platform/errors.js';

/**
 * Customer-profile failures. None of them ever carries a value the caller sent: details name the
 * field key (a schema slug) and a reason code, which is all a client needs to fix its input.
 */
export const CustomerErrors = defineErrors('customers', {
  // An unknown id and another tenant's id answer alike.
  not_found: { status: 404, title: 'Customer not found' },
  number_taken: { status: 409, title: 'A customer with this customer number already exists' },
  invalid_customer_number: { status: 400, title: 'The customer number is not valid' },
  unknown_field: { status: 400, title: 'The field is not in the customer schema' },
  invalid_value: { status: 400, title: 'The value is not valid for this field' },
  field_empty: { status: 409, title: 'The field has no value to confirm' },
  not_searchable: { status: 400, title: 'No searchable field of this type in the customer schema' },
  invalid_schema: { status: 400, title: 'The customer field schema is not valid' },
  field_in_use: { status: 409, title: 'The field has values: it cannot be removed or change type, class or search' },
  schema_conflict: { status: 409, title: 'The customer schema changed since it was read' },
  invalid_import: { status: 400, title: 'The import file cannot be read' },
  erase_confirmation_mismatch: { status: 400, title: 'The confirmation is not the customer number of this customer' },
  already_erased: { status: 409, title: 'The customer was already erased' },
});
