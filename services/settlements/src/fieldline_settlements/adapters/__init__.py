"""Adapters: tables, repositories, read queries, proto mapping, event mapper."""
