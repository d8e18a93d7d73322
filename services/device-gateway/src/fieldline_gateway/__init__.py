"""Fieldline device gateway: the only door for the agents' mobile devices
(docs/contexts/device-gateway.md)."""
