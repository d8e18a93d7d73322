"""`python -m fieldline_clients serve|migrate|bulk-load` — the same locally and in Kubernetes."""

from fieldline_clients.entrypoints.main import main

raise SystemExit(main())
