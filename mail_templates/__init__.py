"""Mail templates per language, rendered by one Jinja2 Environment."""
