-- 0004 refused TRUNCATE on ledger_entries only; TRUNCATE fires no row triggers, so the owner
-- could still empty ledger_nodes and ledger_checkpoints without a word. Refused now as well.
CREATE TRIGGER ledger_nodes_no_truncate BEFORE TRUNCATE ON ledger_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
