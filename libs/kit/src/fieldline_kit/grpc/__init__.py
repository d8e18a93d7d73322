"""gRPC server kit: factory, interceptors, status mapping, health and reflection."""
