"""Fieldline platform kit: what every bounded-context service stands on."""
