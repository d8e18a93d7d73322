"""Fieldline exchange: XML with the company's ERP (docs/contexts/exchange.md)."""
