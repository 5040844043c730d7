-- Verification by knowledge and documents: static security questions (answers hashed with
-- Argon2id), dynamic questions and document checks. Tables follow.
--
-- No answer is stored in clear: a static answer is kept only as an Argon2id PHC string (its own
-- salt in it) of the normalized answer; what a dynamic question expects is sealed (AES-256-GCM
-- under a key derived from the tenant's vault index key, bound to the challenge id) and lives only
-- as long as the challenge. Document checks keep nothing of their own: they read the customer's
-- blind index and report a result (verification_results).

-- The answers a customer enrolled, one per question of the tenant's catalogue. Enrolling again
-- replaces the whole set.
CREATE TABLE verification_question_answers (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  customer_id uuid NOT NULL,
  question_id text NOT NULL CHECK (question_id ~ '^[a-z][a-z0-9_]{0,39}$'),
  answer_hash text NOT NULL CHECK (answer_hash LIKE '$argon2id$%' AND char_length(answer_hash) <= 512),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, customer_id, question_id),
  CONSTRAINT verification_question_answers_customer_fkey FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);

-- The questions put to a caller in one session: which (chosen server-side with a CSPRNG, never by
-- the client), how many must be right, and for dynamic questions what is expected, sealed. One
-- open challenge per session and method; a challenge is answered once.
CREATE TABLE verification_question_challenges (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  session_id uuid NOT NULL,
  method text NOT NULL CHECK (method IN ('questions_static', 'questions_dynamic')),
  questions jsonb NOT NULL CHECK (jsonb_typeof(questions) = 'array'),
  sealed_expected text CHECK (sealed_expected IS NULL OR char_length(sealed_expected) <= 8192),
  required smallint NOT NULL CHECK (required BETWEEN 1 AND 10),
  state text NOT NULL CHECK (state IN ('open', 'passed', 'failed', 'void')),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
  updated_at timestamptz NOT NULL,
  CONSTRAINT verification_question_challenges_session_fkey FOREIGN KEY (tenant_id, session_id) REFERENCES verification_sessions (tenant_id, id) ON DELETE CASCADE,
  -- Answered challenges drop what they expected.
  CONSTRAINT verification_question_challenges_sealed_open CHECK (state = 'open' OR sealed_expected IS NULL)
);
CREATE UNIQUE INDEX verification_question_challenges_one_open ON verification_question_challenges (tenant_id, session_id, method) WHERE state = 'open';
CREATE INDEX verification_question_challenges_session_idx ON verification_question_challenges (tenant_id, session_id, created_at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['verification_question_answers', 'verification_question_challenges'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant())', t);
  END LOOP;
END
$$;
-- Answers are replaced as a set (delete, insert), never edited in place.
SELECT custodia_grant('SELECT, INSERT, DELETE', 'verification_question_answers');
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'verification_question_challenges');
