"""Files the finance team drops in `incoming/`: read, checked row by row, and reconciled with the book.

Everything here is pure (no AWS): `reading` turns bytes into rows, `validation` turns rows into typed
fields or rejections with their reason, `reconcile` decides what a row changes on a stored item.
The service `relance.services.ingest` does the reads and writes.
"""
