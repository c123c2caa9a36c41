"""The row-by-row planner as it was before the columnar compare: kept only as the reference the
differential test (tests/imports/test_columnar_planner.py) holds the columnar planner to, until the
columnar one has proven itself; nothing in the import path calls it."""
