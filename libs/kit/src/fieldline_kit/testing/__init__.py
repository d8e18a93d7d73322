"""Test support shared by every service's tests (`fieldline_kit.testing`).

- `helpers`: `new_id`, `eventually`, `eventually_value`, `expect_error`, `closed_port`;
- `events`: `published`, the integration events a stream holds;
- `service`: a service started in-process as `serve` runs it, on a fresh migrated database
  and a real NATS (`start_service`, `service_running`, `replicas`), with auth on when its spec
  has a policy;
- `auth`: tokens for tests (`TestTokens`, `Caller`, `ADMIN`, `service_caller`,
  `process_tokens`);
- `pki`: a throwaway CA and server certificates for TLS tests (`new_authority`,
  `new_server_cert`);
- `fakes`: `FakeUnitOfWork` and `InMemoryRepository` for service-layer unit tests;
- `databases`, `nats_server`: throwaway databases and an embedded nats-server (the pytest
  plugin's `db_factory` and `nats_server` fixtures);
- `pytest_plugin`: the fixtures, and the test tiers `unit`, `integration`, `e2e`.
"""
