"""Fieldline settlements service: receivables, payments, tare, credit limits, debt policy."""
