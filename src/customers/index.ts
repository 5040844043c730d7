export { countCustomers, insertCustomerNumbers } from './store.js';
