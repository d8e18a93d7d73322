"""Use cases of the orders context."""
