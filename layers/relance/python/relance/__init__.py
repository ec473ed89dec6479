"""Relance: chases unpaid invoices, courteous first and firm later."""
