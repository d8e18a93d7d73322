"""Entrypoints: gRPC servicer, orders consumer, process main."""
