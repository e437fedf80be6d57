import { expect } from 'vitest';
import { describeSystem } from './system-harness.js';

/**
 * Python Learning Studio (seeds 001 and 003, Django + PostgreSQL), end to end. Django's FKs are
 * DEFERRABLE INITIALLY DEFERRED, so this system also proves pgmend applies and rolls back row
 * changes next to deferred constraints. After each apply: the review-queue state machine, the
 * user and lesson soft deletes, the protection of users with forum content, the deletion log and
 * the audit trail, the counter triggers and the attempt-number trigger.
 */

describeSystem({
  name: 'learning',
  behaviours: {
    'an approved review item cannot go back to pending (LRN-SM-01)': async ({ expectError, one }) => {
      await expectError(`UPDATE forum_integration_reviewqueue SET status = 'pending' WHERE id = 2`, '23514', /invalid status transition.*approved -> pending/);
      expect(await one(`UPDATE forum_integration_reviewqueue SET status = 'escalated' WHERE id = 1 RETURNING status`)).toEqual({ status: 'escalated' });
    },
    'soft-deleting a lesson soft-deletes its exercises (LRN-SQL-05)': async ({ client, one }) => {
      await client.query(`UPDATE learning_lesson SET deleted_at = '2025-11-01 00:00+00' WHERE id = 5`);
      expect(await one(`SELECT count(*)::int AS n, bool_and(is_deleted) AS deleted, min(deleted_at) = '2025-11-01 00:00+00' AS same_time FROM learning_exercise WHERE lesson_id = 5`)).toEqual({ n: 1, deleted: true, same_time: true });
      // Restoring the lesson restores its exercises.
      await client.query(`UPDATE learning_lesson SET deleted_at = NULL WHERE id = 5`);
      expect(await one(`SELECT bool_or(is_deleted) AS deleted FROM learning_exercise WHERE lesson_id = 5`)).toEqual({ deleted: false });
    },
    'soft-deleting a user deactivates and anonymizes the account, keeping its enrollments (LRN-SQL-04)': async ({ client, one }) => {
      await client.query(`UPDATE users_user SET deleted_at = '2025-11-01 00:00+00' WHERE id = 150`);
      expect(await one(`SELECT is_deleted, is_active, email, username, (SELECT count(*)::int FROM learning_courseenrollment WHERE user_id = 150) AS enrollments FROM users_user WHERE id = 150`)).toEqual({
        is_deleted: true,
        is_active: false,
        email: 'deleted_150@deleted.local',
        username: 'deleted_user_150',
        enrollments: 3,
      });
    },
    'deleting a user with forum content is refused (LRN-SQL-06)': async ({ expectError }) => {
      await expectError(`DELETE FROM users_user WHERE id = 1`, '23001', /Cannot delete user student1: has 12 posts and 3 topics/);
    },
    'deleting a user writes the deletion log and keeps their enrollments (LRN-SQL-07, LRN-FK-01)': async ({ client, one }) => {
      await client.query(`SELECT set_config('app.deletion_reason', 'user request', true)`);
      await client.query(`DELETE FROM users_user WHERE id = 180`);
      expect(await one(`SELECT user_id::int, username, deletion_reason, total_posts, total_topics FROM users_userdeletionlog`)).toEqual({
        user_id: 180,
        username: 'student180',
        deletion_reason: 'user request',
        total_posts: 0,
        total_topics: 0,
      });
      expect(await one(`SELECT count(*)::int AS kept FROM learning_courseenrollment WHERE user_id IS NULL`)).toEqual({ kept: 3 });
    },
    'the audit trail records a course change (LRN-SQL-08)': async ({ client, one }) => {
      await client.query(`SELECT set_config('app.current_user_id', '7', true)`);
      await client.query(`UPDATE learning_course SET title = 'Renamed' WHERE id = 1`);
      expect(await one(`SELECT table_name, row_id::int, action, changed_by_id::int, old_data ->> 'title' AS old, new_data ->> 'title' AS new FROM audit_trail WHERE table_name = 'learning_course'`)).toEqual({
        table_name: 'learning_course',
        row_id: 1,
        action: 'UPDATE',
        changed_by_id: 7,
        old: 'Course 1',
        new: 'Renamed',
      });
    },
    'counter triggers keep reply_count and the course statistics right (LRN-SQL-02, LRN-SQL-03)': async ({ client, drift, one }) => {
      const before = await one<{ n: number }>(`SELECT reply_count AS n FROM learning_discussion WHERE id = 3`);
      await client.query(`INSERT INTO learning_discussionreply (content, created_at, author_id, discussion_id) VALUES ('new', '2025-11-01 00:00+00', 5, 3)`);
      expect(await one(`SELECT reply_count AS n FROM learning_discussion WHERE id = 3`)).toEqual({ n: before.n + 1 });
      await client.query(`INSERT INTO learning_courseenrollment (enrolled_at, completed, progress_percentage, course_id, user_id) VALUES ('2025-11-01 00:00+00', false, 0, 1, 231)`);
      await client.query(`INSERT INTO learning_coursereview (rating, comment, created_at, course_id, user_id) VALUES (1, '', '2025-11-01 00:00+00', 2, 231)`);
      await client.query(`INSERT INTO learning_lesson (title, slug, position, content, created_at, course_id) VALUES ('Extra', 'extra', 9, '', '2025-11-01 00:00+00', 3)`);
      for (const id of ['LRN-CNT-01', 'LRN-CNT-02', 'LRN-CNT-03', 'LRN-CNT-04', 'LRN-CNT-05']) expect({ id, drift: await drift(id) }).toEqual({ id, drift: 0 });
    },
    'the database assigns attempt numbers (LRN-SQL-01)': async ({ client, one }) => {
      const { next } = await one<{ next: number }>(`SELECT max(attempt_number) + 1 AS next FROM learning_submission WHERE user_id = 1 AND exercise_id = 8`);
      const row = await one(
        `INSERT INTO learning_submission (code, status, attempt_number, submitted_at, exercise_id, user_id) VALUES ('print(1)', 'pending', 1, '2025-11-01 00:00+00', 8, 1) RETURNING attempt_number`,
      );
      expect(row).toEqual({ attempt_number: next });
    },
  },
});
