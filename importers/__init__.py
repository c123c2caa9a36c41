"""Spreadsheet import and export: reading, column aliases, templates, error workbooks, safety limits."""
