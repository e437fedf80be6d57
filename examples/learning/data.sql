-- Python Learning Studio data: deterministic (no random(), no now()), with defects of known counts
-- for every finding in findings.yaml. expected.json holds the counts; README.md explains them.
--
-- Ids are small integers chosen here (every table's identity sequence is moved past them at the
-- end). Base rows come from generate_series; each defect is a separate, commented statement naming
-- the rows it touches. Defect rows of one finding never overlap another finding's, except where
-- README.md says so (duplicates and junk rows that a course counter also counts).

-- ---------------------------------------------------------------------------------------------
-- users_user: 240 users. 1-10 are staff (instructors), 1-50 wrote forum content, 1-200 study.
-- ---------------------------------------------------------------------------------------------
INSERT INTO users_user (id, password, last_login, is_superuser, username, first_name, last_name, email,
                        is_staff, is_active, date_joined, bio)
SELECT g, 'pbkdf2_sha256$600000$' || md5('pw' || g), timestamptz '2025-10-01 00:00+00' + g * interval '1 hour',
       g = 1, 'student' || g, 'First' || g, 'Last' || g, format('student%s@learning.example', g),
       g <= 10, g % 40 <> 0, timestamptz '2024-01-01 00:00+00' + g * interval '1 day', ''
FROM generate_series(1, 240) AS g;

INSERT INTO users_userprofile (id, avatar, timezone, receive_emails, user_id)
SELECT g, '', 'UTC', g % 3 <> 0, g FROM generate_series(1, 230) AS g;

-- ---------------------------------------------------------------------------------------------
-- learning: 12 categories, 30 courses of 8 lessons, 200 exercises.
-- ---------------------------------------------------------------------------------------------
INSERT INTO learning_category (id, name, slug, description, parent_id)
SELECT g, 'Category ' || g, 'category-' || g, '', CASE WHEN g > 3 THEN (g - 4) % 3 + 1 END
FROM generate_series(1, 12) AS g;

INSERT INTO learning_course (id, title, slug, description, difficulty, is_published, total_lessons,
                             total_enrollments, average_rating, total_reviews, created_at, updated_at,
                             category_id, instructor_id)
SELECT g, 'Course ' || g, 'course-' || g, '', (ARRAY['beginner', 'intermediate', 'advanced'])[g % 3 + 1],
       g % 10 <> 0, 0, 0, 0.00, 0,
       timestamptz '2024-02-01 00:00+00' + g * interval '1 day', timestamptz '2025-09-01 00:00+00',
       (g - 1) % 12 + 1, (g - 1) % 10 + 1
FROM generate_series(1, 30) AS g;

INSERT INTO learning_lesson (id, title, slug, position, content, created_at, course_id)
SELECT g, 'Lesson ' || g, 'lesson-' || ((g - 1) % 8 + 1), (g - 1) % 8 + 1, '',
       timestamptz '2024-03-01 00:00+00' + g * interval '1 hour', (g - 1) / 8 + 1
FROM generate_series(1, 240) AS g;

INSERT INTO learning_exercise (id, title, programming_language, starter_code, solution_code, difficulty,
                               created_at, lesson_id)
SELECT g, 'Exercise ' || g, CASE WHEN g % 25 = 0 THEN 'javascript' ELSE 'python' END,
       'def solve():\n    pass', 'def solve():\n    return ' || g, 'easy',
       timestamptz '2024-03-15 00:00+00' + g * interval '1 hour', g
FROM generate_series(1, 200) AS g;

-- learning_submission: 2,400 submissions. User u (1-200) has attempts 1-3 at four exercises
-- ((u * 7 + j) % 200 + 1, j = 0..3), so (user, exercise, attempt_number) is unique in these rows.
INSERT INTO learning_submission (id, code, status, attempt_number, score, submitted_at, exercise_id, user_id)
SELECT g, 'print(' || g || ')', (ARRAY['passed', 'failed', 'error', 'pending'])[g % 4 + 1],
       (g - 1) / 200 % 3 + 1, CASE WHEN g % 4 = 1 THEN 100 ELSE g % 90 END,
       timestamptz '2025-04-01 00:00+00' + g * interval '10 minutes',
       (((g - 1) % 200 + 1) * 7 + (g - 1) / 600) % 200 + 1, (g - 1) % 200 + 1
FROM generate_series(1, 2400) AS g;

-- LRN-UQ-01 unique (user_id, exercise_id, attempt_number): 4 groups / 9 rows, the race of 001 #1
-- (two requests read the same latest attempt). 2401-2403 repeat submissions 1-3 (users 1-3,
-- attempt 1); 2404 and 2405 both repeat submission 4 (user 4, exercise 29, attempt 1).
INSERT INTO learning_submission (id, code, status, attempt_number, score, submitted_at, exercise_id, user_id)
SELECT 2400 + n, 'print(' || s.id || ') # concurrent', 'pending', s.attempt_number, NULL,
       s.submitted_at + interval '1 second', s.exercise_id, s.user_id
FROM (VALUES (1, 1), (2, 2), (3, 3), (4, 4), (5, 4)) AS d(n, src)
JOIN learning_submission s ON s.id = d.src;

-- LRN-CHK-01 CHECK (attempt_number >= 1): 5 rows with attempt 0 (the column's own CHECK (>= 0)
-- lets them in), written by an import script; one per (user, exercise), so not duplicates.
INSERT INTO learning_submission (id, code, status, attempt_number, score, submitted_at, exercise_id, user_id)
SELECT 2405 + n, '# imported', 'passed', 0, 100, timestamptz '2025-03-01 00:00+00' + n * interval '1 hour',
       (9 + n) * 7 % 200 + 1, 9 + n
FROM generate_series(1, 5) AS n;

-- learning_courseenrollment: 600 enrollments, 3 per user 1-200 (courses (u * 3 + j) % 30 + 1).
-- Enrollment n has completed c = n % 9 of its course's 8 lessons; progress = 100 * c / 8.
INSERT INTO learning_courseenrollment (id, enrolled_at, completed, completed_at, progress_percentage,
                                       course_id, last_accessed_lesson_id, user_id)
SELECT n, timestamptz '2025-01-01 00:00+00' + n * interval '1 hour', n % 9 = 8,
       CASE WHEN n % 9 = 8 THEN timestamptz '2025-06-01 00:00+00' + n * interval '1 hour' END,
       100 * (n % 9) / 8, c, (c - 1) * 8 + least(n % 9 + 1, 8), u
FROM generate_series(1, 600) AS n
CROSS JOIN LATERAL (SELECT (n - 1) / 3 + 1 AS u) AS uu
CROSS JOIN LATERAL (SELECT (u * 3 + (n - 1) % 3) % 30 + 1 AS c) AS cc;

-- learning_userprogress: one row per started lesson (positions 1 .. c + 1, at most 8), completed
-- for positions 1 .. c.
INSERT INTO learning_userprogress (id, completed, started_at, completed_at, notes, lesson_id, user_id)
SELECT row_number() OVER (ORDER BY e.id, p), p <= e.id % 9,
       e.enrolled_at + p * interval '1 day',
       CASE WHEN p <= e.id % 9 THEN e.enrolled_at + p * interval '1 day' + interval '2 hours' END,
       '', (e.course_id - 1) * 8 + p, e.user_id
FROM learning_courseenrollment e
CROSS JOIN LATERAL generate_series(1, least(e.id % 9 + 1, 8)) AS p;

-- learning_coursereview: 300 reviews, 10 per course, ratings 1-5: two of each, except that course c
-- has (c - 1) % 4 of them raised to 5 (so courses 1, 5, 9, … average exactly 3.00).
INSERT INTO learning_coursereview (id, rating, comment, created_at, course_id, user_id)
SELECT r, CASE WHEN (r - 1) % 10 < (r - 1) / 10 % 4 THEN 5 ELSE r * 7 % 5 + 1 END, '', timestamptz '2025-05-01 00:00+00' + r * interval '1 hour',
       (r - 1) / 10 + 1, (r - 1) % 10 * 20 + ((r - 1) / 10) % 20 + 1
FROM generate_series(1, 300) AS r;

-- Course statistics as update_statistics() computed them, from the rows so far.
UPDATE learning_course c SET
    total_lessons = (SELECT count(*) FROM learning_lesson l WHERE l.course_id = c.id),
    total_enrollments = (SELECT count(*) FROM learning_courseenrollment e WHERE e.course_id = c.id),
    total_reviews = (SELECT count(*) FROM learning_coursereview r WHERE r.course_id = c.id),
    average_rating = coalesce((SELECT round(avg(rating), 2) FROM learning_coursereview r WHERE r.course_id = c.id), 0.00);

-- LRN-UQ-06 unique (user_id, course_id): 3 groups / 6 rows. 601-603 repeat the first enrollment of
-- users 1-3 (courses 4, 7, 10): two get_or_create calls that both found nothing (001 #18). Their
-- progress equals the original's; the courses' total_enrollments never counted them.
INSERT INTO learning_courseenrollment (id, enrolled_at, completed, completed_at, progress_percentage,
                                       course_id, last_accessed_lesson_id, user_id)
SELECT 600 + n, e.enrolled_at + interval '1 second', e.completed, e.completed_at, e.progress_percentage,
       e.course_id, e.last_accessed_lesson_id, e.user_id
FROM (VALUES (1, 1), (2, 4), (3, 7)) AS d(n, src)
JOIN learning_courseenrollment e ON e.id = d.src;

-- LRN-CHK-02 CHECK (rating BETWEEN 1 AND 5): 5 reviews written by SQL, past the validators
-- (ratings 0, 6, 0, 9, 6) on courses 25, 25, 27, 27, 28; the course statistics never counted them.
-- Course 25's two (0 and 6) average 3, like its other ten: its average_rating stays right.
INSERT INTO learning_coursereview (id, rating, comment, created_at, course_id, user_id) VALUES
    (301, 0, 'imported', '2025-08-01 10:00+00', 25, 201),
    (302, 6, 'imported', '2025-08-01 11:00+00', 25, 202),
    (303, 0, 'imported', '2025-08-01 12:00+00', 27, 203),
    (304, 9, 'imported', '2025-08-01 13:00+00', 27, 204),
    (305, 6, 'imported', '2025-08-01 14:00+00', 28, 205);

-- LRN-CNT-06 learning_courseenrollment.progress_percentage: 6 enrollments whose last two lessons
-- were completed concurrently (001 #4): all 8 lessons done, stuck at 87 % and not completed.
UPDATE learning_courseenrollment SET progress_percentage = 87, completed = false, completed_at = NULL
WHERE id IN (17, 26, 35, 44, 53, 62);

-- LRN-CNT-02 learning_course.total_lessons: 2 courses missed a lesson added concurrently.
UPDATE learning_course SET total_lessons = 7 WHERE id IN (5, 17);
-- LRN-CNT-03 learning_course.total_enrollments: 2 courses counted two enrollments twice (plus
-- courses 4, 7, 10, whose duplicate enrollments above were never counted).
UPDATE learning_course SET total_enrollments = total_enrollments + 2 WHERE id IN (11, 12);
-- LRN-CNT-04 learning_course.total_reviews: 2 courses lost a review (plus 25, 27, 28 above).
UPDATE learning_course SET total_reviews = total_reviews - 1 WHERE id IN (1, 2);
-- LRN-CNT-05 learning_course.average_rating: never computed on 3, 4; stale on 5 (plus 27, 28 above).
UPDATE learning_course SET average_rating = 0.00 WHERE id IN (3, 4);
UPDATE learning_course SET average_rating = average_rating + 0.50 WHERE id = 5;

-- ---------------------------------------------------------------------------------------------
-- community: 90 discussions (3 per course), 400 replies.
-- ---------------------------------------------------------------------------------------------
INSERT INTO learning_discussion (id, title, slug, content, is_pinned, reply_count, last_activity_at,
                                 created_at, author_id, course_id)
SELECT d, 'Discussion ' || d, (ARRAY['welcome', 'questions', 'showcase'])[(d - 1) % 3 + 1] || '-' || ((d - 1) / 3 + 1),
       '', (d - 1) % 3 = 0, 0, timestamptz '2025-06-01 00:00+00', timestamptz '2025-05-01 00:00+00' + d * interval '1 hour',
       ((d - 1) / 3) % 10 + 1, (d - 1) / 3 + 1
FROM generate_series(1, 90) AS d;

INSERT INTO learning_discussionreply (id, content, created_at, author_id, discussion_id)
SELECT k, 'Reply ' || k, timestamptz '2025-05-10 00:00+00' + k * interval '1 hour', k % 200 + 1, (k - 1) % 90 + 1
FROM generate_series(1, 400) AS k;

UPDATE learning_discussion d SET
    reply_count = (SELECT count(*) FROM learning_discussionreply r WHERE r.discussion_id = d.id),
    last_activity_at = (SELECT max(created_at) FROM learning_discussionreply r WHERE r.discussion_id = d.id);

-- LRN-CNT-01 learning_discussion.reply_count: 6 discussions lost an increment (001 #8: two replies
-- saved concurrently both counted the same number).
UPDATE learning_discussion SET reply_count = reply_count - 1 WHERE id IN (3, 9, 27, 45, 63, 81);

-- ---------------------------------------------------------------------------------------------
-- forum: 5 forums (1 is "Blog Discussions"), 150 topics, 600 posts. Users 1-50 each started 3
-- topics and wrote 12 posts; nobody else posted.
-- ---------------------------------------------------------------------------------------------
INSERT INTO forum_forum (id, name, slug, description, created)
SELECT g, CASE g WHEN 1 THEN 'Blog Discussions' ELSE 'Forum ' || g END, 'forum-' || g, '',
       timestamptz '2024-01-01 00:00+00'
FROM generate_series(1, 5) AS g;

INSERT INTO forum_conversation_topic (id, subject, slug, approved, posts_count, created, forum_id, poster_id)
SELECT t, 'Topic ' || t, 'topic-' || t, true, 4, timestamptz '2025-02-01 00:00+00' + t * interval '1 hour',
       (t - 1) % 5 + 1, (t - 1) % 50 + 1
FROM generate_series(1, 150) AS t;

INSERT INTO forum_conversation_post (id, subject, content, approved, created, poster_id, topic_id)
SELECT k, 'Re: Topic ' || ((k - 1) % 150 + 1), 'Post ' || k, true,
       timestamptz '2025-02-02 00:00+00' + k * interval '1 hour', (k - 1) % 50 + 1, (k - 1) % 150 + 1
FROM generate_series(1, 600) AS k;

-- ---------------------------------------------------------------------------------------------
-- forum_integration: trust levels, the review queue, content flags.
-- ---------------------------------------------------------------------------------------------
INSERT INTO forum_integration_trustlevel (id, level, posts_read, last_calculated, user_id)
SELECT g, g % 5, g * 3, timestamptz '2025-09-01 00:00+00', g FROM generate_series(1, 200) AS g;

-- 120 queue items: status by q % 8 (0, 1, 4 pending; 2, 6 approved; 3, 7 rejected; 5 escalated);
-- approved and rejected items have resolved_at.
INSERT INTO forum_integration_reviewqueue (id, review_type, status, priority, score, reason, created_at,
                                           resolved_at, post_id, topic_id, reported_user_id, assigned_moderator_id)
SELECT q, (ARRAY['post', 'topic', 'user'])[q % 3 + 1],
       CASE WHEN q % 8 IN (2, 6) THEN 'approved' WHEN q % 8 IN (3, 7) THEN 'rejected'
            WHEN q % 8 = 5 THEN 'escalated' ELSE 'pending' END,
       q % 4 + 1, 100 - (q % 4) * 25 + (q % 7), 'flagged by users',
       timestamptz '2025-09-01 00:00+00' + q * interval '1 hour',
       CASE WHEN q % 8 IN (2, 3, 6, 7) THEN timestamptz '2025-09-03 00:00+00' + q * interval '1 hour' END,
       CASE WHEN q % 3 = 0 THEN q * 5 END, CASE WHEN q % 3 = 1 THEN q END,
       CASE WHEN q % 3 = 2 THEN q + 100 END, CASE WHEN q % 8 <> 0 THEN q % 10 + 1 END
FROM generate_series(1, 120) AS q;

-- LRN-NN-01 created_at NOT NULL: 4 pending items saved before created_at was set (001 #5, 003 §4).
UPDATE forum_integration_reviewqueue SET created_at = NULL WHERE id IN (8, 16, 24, 32);
-- LRN-SM-01 status states: 5 pending items with a misspelt status: 'PENDING' 2, 'Pending' 2,
-- 'pending ' (trailing space) 1.
UPDATE forum_integration_reviewqueue SET status = 'PENDING' WHERE id IN (41, 65);
UPDATE forum_integration_reviewqueue SET status = 'Pending' WHERE id IN (49, 73);
UPDATE forum_integration_reviewqueue SET status = 'pending ' WHERE id = 57;
-- LRN-CHK-05 resolved items have resolved_at: 4 approved/rejected items without one. Escalated and
-- pending items without resolved_at are fine.
UPDATE forum_integration_reviewqueue SET resolved_at = NULL WHERE id IN (10, 11, 18, 19);

-- 300 flags: 1-240 flag posts (post f * 2), 241-300 flag topics (post NULL, topic f - 240).
INSERT INTO forum_integration_contentflag (id, reason, details, created_at, flagger_id, post_id, topic_id)
SELECT f, (ARRAY['spam', 'abuse', 'off_topic', 'other'])[f % 4 + 1], '',
       timestamptz '2025-07-01 00:00+00' + f * interval '1 hour',
       CASE WHEN f <= 240 THEN (f - 1) % 120 + 1 ELSE (f - 241) % 60 + 121 END,
       CASE WHEN f <= 240 THEN f * 2 END,
       CASE WHEN f <= 240 THEN (f * 2 - 1) % 150 + 1 ELSE f - 240 END
FROM generate_series(1, 300) AS f;

-- LRN-UQ-03 unique (flagger_id, topic_id, reason) WHERE post_id IS NULL: 3 groups / 7 rows. The
-- unique_together (flagger, post, reason) lets them in: post_id is NULL, and NULLs never conflict.
-- 301 repeats 241, 302 repeats 242, 303 and 304 repeat 243.
INSERT INTO forum_integration_contentflag (id, reason, details, created_at, flagger_id, post_id, topic_id)
SELECT 300 + n, f.reason, 'again', f.created_at + n * interval '1 minute', f.flagger_id, NULL, f.topic_id
FROM (VALUES (1, 241), (2, 242), (3, 243), (4, 243)) AS d(n, src)
JOIN forum_integration_contentflag f ON f.id = d.src;
-- Not duplicates: 305 has 244's flagger, topic and reason but flags a post of that topic (outside
-- the WHERE); 306 and 307 (same flagger and reason) name no topic either (NULL topic_id: distinct);
-- 308 has 245's flagger and topic with another reason.
INSERT INTO forum_integration_contentflag (id, reason, details, created_at, flagger_id, post_id, topic_id)
SELECT 305, reason, 'a post of the topic', created_at + interval '1 minute', flagger_id, 4 * 150 - 150 + topic_id, topic_id
FROM forum_integration_contentflag WHERE id = 244;
INSERT INTO forum_integration_contentflag (id, reason, details, created_at, flagger_id, post_id, topic_id) VALUES
    (306, 'spam', 'no target', '2025-08-01 00:00+00', 130, NULL, NULL),
    (307, 'spam', 'no target', '2025-08-01 01:00+00', 130, NULL, NULL);
INSERT INTO forum_integration_contentflag (id, reason, details, created_at, flagger_id, post_id, topic_id)
SELECT 308, CASE reason WHEN 'spam' THEN 'abuse' ELSE 'spam' END, 'other reason', created_at + interval '1 minute',
       flagger_id, NULL, topic_id
FROM forum_integration_contentflag WHERE id = 245;

-- ---------------------------------------------------------------------------------------------
-- blog: 60 blog pages, 40 of them forum-integrated; 50 exercise pages.
-- ---------------------------------------------------------------------------------------------
INSERT INTO blog_blogpage (page_ptr_id, title, slug, live, first_published_at, author_id)
SELECT p, 'Post ' || p, 'post-' || p, p % 6 <> 0,
       CASE WHEN p % 6 <> 0 THEN timestamptz '2025-03-01 00:00+00' + p * interval '1 day' END, (p - 1) % 10 + 1
FROM generate_series(1, 60) AS p;

-- create_forum_topic off for p % 4 = 0 (half of those have no forum either: fine); the others use
-- forum 1; live ones got topic p.
INSERT INTO blog_forumintegratedblogpage (blogpage_ptr_id, forum_topic_id, create_forum_topic, discussion_forum_id)
SELECT p, CASE WHEN p % 4 <> 0 AND p % 6 <> 0 THEN p END, p % 4 <> 0,
       CASE WHEN p % 8 = 4 THEN NULL WHEN p % 4 = 0 THEN 2 ELSE 1 END
FROM generate_series(1, 40) AS p;

-- LRN-CHK-04 forum_required_when_integration_enabled: 3 pages published with forum integration on
-- and no forum selected (003 §3's scenario).
UPDATE blog_forumintegratedblogpage SET discussion_forum_id = NULL, forum_topic_id = NULL
WHERE blogpage_ptr_id IN (37, 38, 39);
-- LRN-FK-07 forum_topic_id → forum_conversation_topic: 3 pages point at deleted topics.
UPDATE blog_forumintegratedblogpage SET forum_topic_id = 9000 + blogpage_ptr_id - 4
WHERE blogpage_ptr_id IN (5, 6, 7);

-- question_data: NULL for p % 5 = 0 (10 pages), {} for p % 5 = 1 (10), a full question otherwise.
INSERT INTO blog_exercisepage (page_ptr_id, title, solutions, alternative_solutions, progressive_hints, question_data)
SELECT p, 'Exercise page ' || p, jsonb_build_object('1', 'answer' || p), '{}', '[]',
       CASE p % 5 WHEN 0 THEN NULL WHEN 1 THEN '{}'::jsonb
            ELSE jsonb_build_object('question', 'Q' || p, 'options', jsonb_build_array('a', 'b', 'c'), 'correct_answer', 'a') END
FROM generate_series(101, 150) AS p;

-- LRN-CHK-03 question_data structure: 4 violations. 102 and 103 lack correct_answer; 104 and 107
-- have options as a string. NULL and {} pass (validate_question_data returns early on them).
UPDATE blog_exercisepage SET question_data = question_data - 'correct_answer' WHERE page_ptr_id IN (102, 103);
UPDATE blog_exercisepage SET question_data = jsonb_set(question_data, '{options}', '"a, b, c"') WHERE page_ptr_id IN (104, 107);

-- Identity sequences past the ids used here, so new rows (the tests' trigger checks) get fresh ids.
DO $$
DECLARE t text;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
             WHERE a.attname = 'id' AND a.attidentity <> '' AND c.relnamespace = 'public'::regnamespace
    LOOP
        EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), (SELECT coalesce(max(id), 0) + 1 FROM %I), false)', t, 'id', t);
    END LOOP;
END $$;

ANALYZE;
