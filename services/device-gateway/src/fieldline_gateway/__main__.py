"""`python -m fieldline_gateway serve|migrate|jwks`: the same commands locally and in
Kubernetes."""

from fieldline_gateway.entrypoints.main import main

raise SystemExit(main())
