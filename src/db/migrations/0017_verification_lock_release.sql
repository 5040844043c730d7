-- A security officer may release a customer's verification lock before it ends by itself (the
-- customer proved who they are another way: in a branch, by a call back to the number on file).
-- The lock row stays, marked released, so that the failures before the release no longer count
-- toward the next lock; a new lock clears the mark. Who released it and why is in the ledger
-- (`verification.lockout.release`, the reason code as its purpose); the officer's words, which
-- may describe the customer's situation, stay here.
ALTER TABLE verification_locks
  ADD COLUMN released_at timestamptz,
  ADD COLUMN released_by uuid,
  ADD COLUMN release_reason text CHECK (release_reason ~ '^[a-z_]{1,64}$'),
  ADD COLUMN release_text text CHECK (char_length(release_text) <= 500),
  ADD CONSTRAINT verification_locks_release_check CHECK ((released_at IS NULL) = (released_by IS NULL) AND (released_at IS NULL) = (release_reason IS NULL));
