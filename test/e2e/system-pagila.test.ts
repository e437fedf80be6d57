import { describeSystem } from './system-harness.js';

/**
 * Pagila (examples/pagila/upstream, loaded as it is): the 13 unindexed foreign keys, the duplicate
 * staff username, customer.active vs activebool, zero payments in a partitioned table, and the
 * manager foreign key store lacks. No trigger comes with these findings: the behaviours are the
 * new constraints refusing what they should.
 */

describeSystem({
  name: 'pagila',
  behaviours: {
    'a second staff member named stacy.schumm is refused (PG-UQ-01)': async ({ expectError }) => {
      await expectError(`UPDATE staff SET username = 'stacy.schumm' WHERE staff_id = 1`, '23505', /staff_username_key/);
    },
    'customer.active and activebool cannot disagree again (PG-CHK-01)': async ({ expectError }) => {
      await expectError(`UPDATE customer SET active = 0 WHERE customer_id = (SELECT min(customer_id) FROM customer WHERE activebool AND active = 1)`, '23514', /customer_active_agrees/);
    },
    'a zero payment is refused, in every partition (PG-CHK-02)': async ({ expectError }) => {
      await expectError(`UPDATE payment SET amount = 0 WHERE payment_id = (SELECT min(payment_id) FROM payment_p2022_07)`, '23514', /payment_amount_positive/);
    },
    'a store manager cannot be deleted (PG-FK-01, ON DELETE RESTRICT)': async ({ expectError }) => {
      // restrict_violation (23001) since PostgreSQL 18; foreign_key_violation (23503) before.
      await expectError(`DELETE FROM staff WHERE staff_id = (SELECT manager_staff_id FROM store ORDER BY store_id DESC LIMIT 1)`, ['23001', '23503'], /store_manager_staff_id_fkey/);
    },
  },
});
