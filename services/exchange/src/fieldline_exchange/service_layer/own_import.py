"""Imports of Fieldline's own format (docs/exchange/own-format.md): the `Pipeline` of the
`fieldline` format. The check pass validates the file strictly against its XSD (an invalid
file is refused with the schema's lines) and checks that the file is the partner's own (its
`partner` attribute is the sending partner's id or name); the records then go in batches of
one section each to settlements (invoices, payments, tare, credit limits, debt policies) or to
clients (employees, route assignments).

Tare balances are the ERP's count of what each client holds: settlements `RecordTareCounts`,
one count per client and container type (a client's own row and its outlets' rows added up:
the rows of one client and container are never split between batches), the count's document
the file (`tare-count:<its SHA-256>`), dated the day the file was made.

Tare documents (1.1) are the ERP's documents that moved containers: settlements
`RecordTareDocuments`, at most `size` documents and `TARE_LINES_PER_BATCH` lines a batch,
each applied once per document, container and direction (the same documents again move
nothing).

Employees are upserted by their ERP ids (clients `UpsertEmployees`), route assignments are
dated periods of who works a route (clients `ScheduleRouteAgents`, routes and employees by
their ERP ids)."""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Iterable, Iterator, Sequence
from datetime import date
from typing import Any, Protocol

from fieldline_exchange.adapters import own_format
from fieldline_exchange.domain.own_records import (
    CreditLimit,
    DebtPolicy,
    Employee,
    Invoice,
    Payment,
    RouteAssignment,
    TareBalance,
    TareDocument,
)
from fieldline_exchange.domain.records import Refusal
from fieldline_exchange.domain.reports import ReportLine
from fieldline_exchange.service_layer.imports import Batch, Checked, Job

SECTIONS: dict[type, str] = {
    Invoice: "invoices",
    Payment: "payments",
    TareBalance: "tare_balances",
    CreditLimit: "credit_limits",
    DebtPolicy: "debt_policies",
    Employee: "employees",
    RouteAssignment: "route_assignments",
    TareDocument: "tare_documents",
}
TARE = "tare_balances"
TARE_DOCUMENTS = "tare_documents"
# Lines of tare documents in one batch (a document holds up to 1,000): a request stays well
# under gRPC's 4 MB whatever the documents' sizes.
TARE_LINES_PER_BATCH = 10_000
NOT_THE_PARTNERS = "not-the-partners"
OWN_SCOPE = "own:import"


class Settlements(Protocol):
    async def apply(self, partner_id: str, records: Any, request_id: str) -> list[ReportLine]: ...

    async def tare_counts(
        self,
        partner_id: str,
        document: str,
        counted_on: date,
        rows: Sequence[TareBalance],
        request_id: str,
    ) -> list[ReportLine]: ...

    async def tare_documents(
        self, partner_id: str, documents: Sequence[TareDocument], request_id: str
    ) -> list[ReportLine]: ...


def tare_count_document(sha256: str) -> str:
    """The count's document id in settlements: the file (the same file is the same count)."""
    return f"tare-count:{sha256[:48]}"


class Staff(Protocol):
    async def employees(
        self, partner_id: str, records: Sequence[Employee], request_id: str
    ) -> list[ReportLine]: ...

    async def route_agents(
        self, partner_id: str, records: Sequence[RouteAssignment], request_id: str
    ) -> list[ReportLine]: ...


class OwnFormatPipeline:
    def __init__(self, settlements: Settlements, staff: Staff) -> None:
        self._settlements = settlements
        self._staff = staff

    async def check(self, job: Job) -> Checked:
        return await asyncio.to_thread(self._check, job)

    def _check(self, job: Job) -> Checked:
        if not job.partner.may(OWN_SCOPE):
            raise Refusal("not-allowed", f"these credentials may not import this ({OWN_SCOPE})")
        refusal = own_format.validate(job.path)
        if refusal is not None:
            raise Refusal(refusal.code, _message(refusal), refusal.line)
        header = own_format.read_header(job.path, validated=True)
        if header.partner not in (job.partner.partner_id, job.partner.name):
            raise Refusal(
                NOT_THE_PARTNERS,
                f"the file is partner {header.partner!r}'s, not this partner's "
                f"({job.partner.name!r})",
            )
        counts = dict.fromkeys(SECTIONS.values(), 0)
        for record in own_format.read(job.path, validated=True):
            counts[SECTIONS[type(record)]] += 1
        return Checked(kind="fieldline", version=header.version, counts=counts)

    def batches(self, job: Job, size: int) -> Generator[Batch, None, None]:
        records = own_format.read(job.path, validated=True)
        for n, (section, run) in enumerate(_runs(records, size)):
            yield Batch(n, section, run)

    async def apply(self, job: Job, batch: Batch, request_id: str) -> list[ReportLine]:
        partner_id = job.partner.partner_id
        if batch.kind == "employees":
            return await self._staff.employees(partner_id, batch.records, request_id)
        if batch.kind == "route_assignments":
            return await self._staff.route_agents(partner_id, batch.records, request_id)
        if batch.kind == TARE_DOCUMENTS:
            return await self._settlements.tare_documents(partner_id, batch.records, request_id)
        if batch.kind == TARE:
            header = await asyncio.to_thread(own_format.read_header, job.path, validated=True)
            return await self._settlements.tare_counts(
                job.partner.partner_id,
                tare_count_document(job.sha256),
                header.created.date(),
                batch.records,
                request_id,
            )
        return await self._settlements.apply(job.partner.partner_id, batch.records, request_id)


def _runs(records: Iterable[Any], size: int) -> Iterator[tuple[str, list[Any]]]:
    """Runs of one section each, at most `size` records — but a client's tare rows of one
    container in one run (they make one count), so a run may pass `size` by one group; and
    tare documents of at most `TARE_LINES_PER_BATCH` lines (one document alone may hold
    fewer than it)."""
    section, run, lines = "", list[Any](), 0
    for record in _tare_grouped(records):
        this = SECTIONS[type(record)]
        same_count = this == section == TARE and _tare_key(record) == _tare_key(run[-1])
        weight = len(record.lines) if isinstance(record, TareDocument) else 0
        full = len(run) >= size or lines + weight > TARE_LINES_PER_BATCH
        if (this != section or (full and not same_count)) and run:
            yield section, run
            run, lines = [], 0
        section = this
        run.append(record)
        lines += weight
    if run:
        yield section, run


def _tare_key(record: TareBalance) -> tuple[str, str]:
    return record.client_id, record.container


def _tare_grouped(records: Iterable[Any]) -> Iterator[Any]:
    """The records in file order, each tare section's rows regrouped by client and container
    (in the order each group first appears; the section is held while it is read)."""
    groups: dict[tuple[str, str], list[TareBalance]] = {}
    for record in records:
        if isinstance(record, TareBalance):
            groups.setdefault(_tare_key(record), []).append(record)
            continue
        for rows in groups.values():
            yield from rows
        groups.clear()
        yield record
    for rows in groups.values():
        yield from rows


def _message(refusal: own_format.Refusal) -> str:
    errors = "; ".join(str(e) for e in refusal.errors)
    return f"{refusal.message}" + (f": {errors}" if errors else "")
