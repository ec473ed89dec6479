"""Structured e-invoices: UBL 2.1 Invoice and CreditNote, UN/CEFACT CII, Factur-X XML and PDF."""
