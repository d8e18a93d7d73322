"""Test-package root: gives this service's tests unique module names (see pyproject)."""
