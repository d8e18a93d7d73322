"""Entrypoints: gRPC API, consumers, process main."""
