-- 0006: each failed Check keeps its failure in a form shared by learners
-- (check.Generic: the learner's own client ids and clock times left out),
-- so the instructor's overview counts "12 learners made this mistake" with
-- one GROUP BY instead of reading every attempt. Older failures get their
-- summary as it is: they group with learners who used the same client id.

ALTER TABLE exercise_attempts ADD COLUMN failure TEXT;

UPDATE exercise_attempts SET failure = summary WHERE NOT passed;

CREATE INDEX exercise_attempts_failure ON exercise_attempts (course, exercise, failure);

CREATE INDEX quiz_attempts_item ON quiz_attempts (course, quiz);
