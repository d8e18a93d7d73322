"""Where things are in the repository."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
PROTO_DIR = ROOT / "proto"
CONTRACTS_SRC = ROOT / "libs" / "contracts" / "src"
SERVICES_DIR = ROOT / "services"
RUN_DIR = ROOT / ".run"
