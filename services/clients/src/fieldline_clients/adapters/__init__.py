"""Adapters: persistence, proto mapping, event publishing."""
