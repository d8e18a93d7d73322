"""Adapters: persistence, proto mapping, events, other services."""
