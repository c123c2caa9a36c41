"""Spreadsheets and csv files → validated rows and row problems (reading, column aliases, templates,
error workbooks). Imports only store.schemas-level helpers, never the CLI."""
