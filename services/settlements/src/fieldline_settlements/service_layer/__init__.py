"""Use cases of settlements."""
