"""`python -m fieldline_orders serve|migrate` — the same commands locally and in Kubernetes."""

from fieldline_orders.entrypoints.main import main

raise SystemExit(main())
