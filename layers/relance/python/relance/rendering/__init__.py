"""Turns decisions into documents: Jinja2 emails, reportlab letters, MIME messages."""
