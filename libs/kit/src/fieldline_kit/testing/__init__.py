"""Test support: real databases and a real NATS server, shared by every service's tests."""
