"""Import (scenario S2): plan every row of a Source against the store with the same rules and the
same scope as the single-object services, then write set-based in the command's one transaction,
record the run, and undo it on request.

Modules by concept: rows (the contract readers build), plan (RowPlan and typed payloads), checks
(the cell rules' fast paths), snapshot (the store as planning needs it), plan_tenants / plan_users
(each with its steps in tenant_* / user_*; compare_tenants / compare_users find the rows equal to
the store in columns, new_users plans the plain new people in one pass), planning (both together),
write, runs (records, list, show, undo) and engine (run(), the one entry, with the policy).
rowwise/ holds the planners as they were before the columns, the differential tests' reference.
Rules come from store/rules.py, scope from store/actor.py.

Nothing is imported here: a reader imports store.imports.rows without loading the store."""
