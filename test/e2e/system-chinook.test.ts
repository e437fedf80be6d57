import { expect, it } from 'vitest';
import { listExamples } from '../../src/demo/examples.js';
import { describeSystem } from './system-harness.js';

/**
 * Chinook (examples/chinook/upstream, loaded as it is), the clean control: two real duplicate sets,
 * three columns unique by accident, and invoice totals that reconcile exactly (the counter is
 * already applied). The behaviours are the new unique indexes refusing duplicates.
 */

describeSystem({
  name: 'chinook',
  behaviours: {
    'a track name cannot repeat within an album (CH-UQ-01)': async ({ expectError }) => {
      await expectError(`INSERT INTO track (track_id, name, album_id, media_type_id, milliseconds, unit_price) SELECT 99999, name, album_id, media_type_id, 1, 0.99 FROM track WHERE track_id = 1`, '23505', /track_album_id_name_key/);
    },
    'a customer email cannot repeat (CH-UQ-03)': async ({ expectError }) => {
      await expectError(`UPDATE customer SET email = (SELECT email FROM customer WHERE customer_id = 1) WHERE customer_id = 2`, '23505', /customer_email_key/);
    },
  },
});

it('pgmend demo --list names every example system, fixtures included', async () => {
  expect(await listExamples()).toEqual(expect.arrayContaining(['actorhub', 'audiotricks', 'chinook', 'learning', 'pagila', 'tickets']));
});
