"""`python -m fieldline_settlements serve|migrate` — the same commands locally and in Kubernetes."""

from fieldline_settlements.entrypoints.main import main

raise SystemExit(main())
