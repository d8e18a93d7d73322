"""Entrypoints: the gRPC API and the process main."""
