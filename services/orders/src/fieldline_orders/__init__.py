"""Fieldline orders service."""
