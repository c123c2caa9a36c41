"""The row-by-row planners as they were before the columnar compare (plan_users, and plan_tenants
with its tenant_* modules and near_names): kept only as the reference the differential tests
(tests/imports/test_columnar_planner.py, test_columnar_tenants.py) hold the columnar planners to,
until those have proven themselves; nothing in the import path calls them."""
