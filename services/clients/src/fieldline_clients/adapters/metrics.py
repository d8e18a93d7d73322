"""Business figures of clients, counted from what commits (Prometheus).

- `fieldline_clients_visits_total{event}`: visits recorded: `started` (check-in), `completed`
  (check-out), `missed` (a planned visit marked missed).
- `fieldline_clients_audits_total`: outlet audits submitted.
- `fieldline_clients_calls_total{outcome}`: telesellers' calls recorded, by outcome
  (`ordered`, `no_answer`, `call_back`, `refused`).

Counted from the events a commit wrote (`App.after_commit`): a retry answered from its stored
response writes nothing and counts nothing, nor does a transaction that rolls back.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline_kit.uow import IntegrationEvent

VISITS = Counter(
    "fieldline_clients_visits",
    "Visits recorded, by event: started (check-in), completed (check-out), missed",
    ["event"],
)
AUDITS = Counter("fieldline_clients_audits", "Outlet audits submitted")
CALLS = Counter(
    "fieldline_clients_calls",
    "Telesellers' calls recorded, by outcome: ordered, no_answer, call_back, refused",
    ["outcome"],
)
_CALL_OUTCOMES = {
    number: name.removeprefix("CALL_OUTCOME_").lower()
    for name, number in pb.CallOutcome.items()
    if number
}

_VISIT_EVENTS: dict[type, str] = {
    ev.VisitStarted: "started",
    ev.VisitCompleted: "completed",
    ev.VisitMissed: "missed",
}
for _event in _VISIT_EVENTS.values():  # at 0 from the start, so the first one is an increase
    VISITS.labels(_event)
for _outcome in _CALL_OUTCOMES.values():
    CALLS.labels(_outcome)


def committed(events: Sequence[IntegrationEvent]) -> None:
    """`App.after_commit`: count the visits, audits and calls among a commit's events."""
    for e in events:
        kind = type(e.message)
        if kind is ev.AuditSubmitted:
            AUDITS.inc()
        elif isinstance(e.message, ev.CallRecorded):
            CALLS.labels(_CALL_OUTCOMES[e.message.call.outcome]).inc()
        elif kind in _VISIT_EVENTS:
            VISITS.labels(_VISIT_EVENTS[kind]).inc()
