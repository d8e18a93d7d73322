"""The gateway's own metrics (fieldline_gateway_*), beside the kit's process, database and
consumer metrics. docs/contexts/device-gateway.md, *Metrics*."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from fieldline_gateway.domain.documents import KINDS, Status
from fieldline_gateway.domain.limits import OPERATIONS

PREFIX = "fieldline_gateway_"

HTTP_REQUESTS = Counter(
    PREFIX + "http_requests_total", "HTTP requests answered", ["operation", "status"]
)
HTTP_SECONDS = Histogram(
    PREFIX + "http_request_seconds", "HTTP request time, server side", ["operation"]
)
SYNCS = Counter(PREFIX + "syncs_total", "sync answers (pages)", ["mode", "reason"])
SYNC_SECONDS = Histogram(
    PREFIX + "sync_seconds",
    "server time to build a sync page",
    ["mode"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
BUNDLE_BYTES = Histogram(
    PREFIX + "bundle_bytes",
    "uncompressed bytes of a sync page",
    ["mode"],
    buckets=(1e3, 1e4, 1e5, 5e5, 1e6, 2e6, 5e6),
)
BUNDLE_ITEMS = Histogram(
    PREFIX + "bundle_items",
    "items of a sync page",
    ["mode"],
    buckets=(0, 1, 10, 100, 1000, 5000),
)
UPLOADS = Counter(PREFIX + "uploads_total", "uploaded documents by result", ["kind", "status"])
UPLOAD_RPC_SECONDS = Histogram(
    PREFIX + "upload_rpc_seconds", "time of the owning service's call per document", ["kind"]
)
FANOUT_LAG = Histogram(
    PREFIX + "fanout_lag_seconds",
    "from an event's occurred_at to its commit in the sync store",
    ["stream"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
FANOUT_WRITES = Counter(
    PREFIX + "fanout_writes_total", "sync store objects written", ["section", "outcome"]
)
FANOUT_SEQ = Gauge(PREFIX + "fanout_seq", "the sync store's change sequence")
FANOUT_HORIZON = Gauge(
    PREFIX + "fanout_horizon",
    "the sync store's horizon (a cursor below it is answered in full), as compaction left it",
)
DEVICES = Gauge(PREFIX + "devices", "devices by status, read every minute", ["status"])
TOKENS = Counter(PREFIX + "tokens_total", "device token operations", ["outcome"])
PHOTOS = Counter(PREFIX + "photos_total", "photos completed", ["outcome"])
PHOTO_BYTES = Counter(PREFIX + "photo_bytes_total", "photo bytes received")
RATE_LIMITED = Counter(
    PREFIX + "rate_limited_total", "requests refused by a rate limit", ["operation"]
)
UPKEEP_REMOVED = Counter(
    PREFIX + "upkeep_removed_total",
    "rows the upkeep jobs removed: tombstones and closed intervals (compaction), items made "
    "tombstones (window-sweep), receipts, unfinished photo uploads",
    ["job"],
)

# Every series the dashboards and alerts read exists at 0 from the start, so the first
# rejected upload or rate-limited request is an increase, not a new series.
for _outcome in ("activated", "refreshed", "retried", "reuse", "invalid"):
    TOKENS.labels(_outcome)
for _mode in ("full", "delta", "resync"):
    SYNC_SECONDS.labels(_mode)
    BUNDLE_BYTES.labels(_mode)
    BUNDLE_ITEMS.labels(_mode)
SYNCS.labels("full", "")
SYNCS.labels("delta", "")
for _kind in KINDS:
    UPLOAD_RPC_SECONDS.labels(_kind)
    for _status in Status:
        UPLOADS.labels(_kind, _status.value)
for _outcome in ("complete", "deduplicated", "checksum_mismatch"):
    PHOTOS.labels(_outcome)
for _operation in OPERATIONS:
    RATE_LIMITED.labels(_operation)
# The jobs of service_layer/upkeep.py (`JOBS`).
for _job in ("compaction", "window-sweep", "receipt-retention", "photo-retention"):
    UPKEEP_REMOVED.labels(_job)
