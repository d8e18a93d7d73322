"""Fieldline clients & territory service."""
