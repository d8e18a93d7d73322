"""`python -m fieldline_clients serve|migrate` — the same commands locally and in Kubernetes."""

from fieldline_clients.entrypoints.main import main

raise SystemExit(main())
