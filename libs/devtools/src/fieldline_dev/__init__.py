"""Fieldline developer tooling (not shipped in the service image)."""
