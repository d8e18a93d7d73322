"""Clients & territory domain model: pure Python, no I/O, no frameworks."""
