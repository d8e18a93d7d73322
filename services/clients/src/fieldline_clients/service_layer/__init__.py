"""Service layer: use cases that load aggregates, call the domain and save."""
