"""The exchange's tests, a package of a name of its own: its `unit` and `integration`
packages must not meet the device gateway's (`--import-mode=importlib` names a package by its
path from the first folder without an `__init__.py`)."""
