"""Orders domain model: pure Python, no I/O."""
