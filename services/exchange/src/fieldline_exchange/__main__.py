"""`python -m fieldline_exchange serve|migrate|jwks`: the same commands locally and in
Kubernetes."""

from fieldline_exchange.entrypoints.main import main

raise SystemExit(main())
