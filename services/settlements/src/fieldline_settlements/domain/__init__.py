"""Domain model of settlements: pure Python, no I/O."""
