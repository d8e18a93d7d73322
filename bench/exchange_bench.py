"""Exchange benchmark: issue 14's targets on a generated CommerceML catalog and offer package.

    .venv/bin/python bench/exchange_bench.py [--quick] [--products 100000] [--orders 10000]
        [--postgres URL] [--rounds 3] [--no-double] [--profile] [--check]

Targets (docs/contexts/exchange.md, *Tests and benchmark*): importing a catalog and an offer
package of 100,000 products with prices and stock (50 MB or more) at **at least 0.33x the
throughput of a bare `lxml.etree.iterparse` over the same files** in the same run (the import
takes at most 3x the bare parse's time); **peak memory under 150 MB, flat when the file
doubles**; an **export of 10,000 orders** (reported: the issue sets it no target).

The files (generated streaming into the run's temporary directory, never held in memory;
`--products N`, default 100,000; sizes and bytes per record printed), as 1C writes them
(namespace `urn:1C.ru:commerceml_210`, `ВерсияСхемы` 2.08, GUID ids, one record a line):

* `import.xml`: a classifier with 20 groups of 10 subgroups each and two properties
  (`Производитель`, a reference book of 50 values; `Вес`, a number), and a catalog of N
  products, each with its article, name, base unit (code 796, `шт`), one subgroup, the two
  property values, its VAT rate (20 %, every fourth 10 %), a barcode on every tenth and the
  requisite `ВидНоменклатуры`;
* `offers.xml`: an offer package with three warehouses and three price types per 100,000
  offers (a price list in orders holds at most 100,000 entries, so the doubled files have two
  regions of three), and N offers, each with a price of each of its three types
  (`ИдТипаЦены`, `ЦенаЗаЕдиницу`, `Валюта`, `Единица`), its total quantity and its stock in
  every warehouse (`<Склад ИдСклада= КоличествоНаСкладе=/>`): 3N prices and 3N stock rows.

What runs where. The bench's process runs an embedded NATS (a nats-server of its own) and the
orders service exactly as it runs (`SPEC.build`: gRPC server with its token check, outbox
relay, consumers) on a throwaway database, trusting the exchange's partner-token key bound to
issuer `fieldline-exchange` (`ORDERS_AUTH_JWKS=<bench issuer>,<exchange keys>#iss=...`, as
`fl up` and the exchange's test harness configure it), and for the export the clients service
the same way. **The exchange's work runs in child processes** (`multiprocessing`, spawn), a
fresh one per measure, so that every resident-size figure is the exchange's alone (orders, its
SQLite and the bench's generator live in another process) and starts from a clean
interpreter; and exchange and orders are separate processes, as deployed (on a 2-core machine
each has a core; an import is sequential, so they mostly take turns). The baseline and the
exchange's passes run in the same kind of child, on the same files, in the same run,
alternated round by round (`--rounds`, best time kept: other work on the machine only adds to
a time).

Measures, at N products and (unless `--no-double`) at 2N, each in its own child:

1. **iterparse**, the baseline: `for _, el in lxml.etree.iterparse(file, tag=<records>):
   el.clear()` over each file — the record elements (`Товар`, `Предложение`, and the few
   groups, properties and price types) reported and cleared, nothing else. This is the
   stricter of two bare loops and the one the verdict uses; the textbook loop over every
   element (`iterparse(file)`, each element cleared: a Python proxy per element, about twice
   as slow here) is timed too and its ratios printed beside.
2. **reader**: the exchange's reader alone, as the check pass reads a file:
   `fieldline_exchange.adapters.commerceml.read(file)` (duplicate-id check on), every item
   counted (`domain.records.Counts`). Reported: the ratio iterparse / reader.
3. **import**: the exchange's composition root (`bootstrap(ExchangeSettings)`, its own
   migrated throwaway database, batch 500, `max_file_mb` raised to 4096 so that the doubled
   files are taken) with a partner, both files submitted as jobs (`Imports.submit`,
   import.xml first, as 1C sends them) and `Imports.step` driven as its `run` loop drives it
   until no job is left: each job's check pass (the reader, counts, references resolved
   against orders' ListProducts) and its apply pass (groups, products, price types, prices
   merged into one price list per type, stock rows; a full package's lists then pruned of what
   it no longer prices) through `CommerceMLPipeline` and `OrdersSink` over gRPC to orders, as
   the partner (a partner token per call, checked by orders), a checkpoint committed after
   every batch. Both jobs are checked `done`, with the counts the files hold, every record
   applied (`records_applied`) and no report line. Reported: wall time (submit to the last
   job done), records/s, MB/s, and the ratio iterparse time / import time — **the target's
   verdict is on this whole-import ratio** (N products; the doubled run's is printed too).
   Beside it, the exchange's own work: the import's wall time minus the time awaited on
   orders' RPCs (every call of `OrdersSink` timed where it is awaited, by RPC: the calls are
   sequential, so the difference is what the exchange itself spends), with its ratio, split
   into reading the files in the check passes (the check passes' time less their awaited
   lists), in the apply passes (the batches' generator timed on the reader's thread) and the
   rest (requests built, job rows and checkpoints, thread hops); and the CPU each side used
   (the child's process time; the bench process's, which is orders' work then, SQLite
   included, PostgreSQL's server not).
4. **memory**: in each child, the growth of its resident size while it works: the peak
   (`VmHWM`, reset through /proc/self/clear_refs once the child is set up) minus the resident
   size at that moment (modules imported, the app built and its database reached). It holds
   all the exchange's memory, Python's and libxml2's alike, and, in the import, SQLite's page
   cache of the exchange's own database and gRPC's buffers. Target: under 150 MB for the
   reader and for the import; flat when the files double: growth at 2N at most 1.25x the
   growth at N (or within 8 MB of it, for growths too small to compare). The reader keeps the
   ids it has seen (to refuse duplicates) and the import the products orders holds, so some
   growth with the number of records is by design: the bytes per extra record are printed.
5. **export** (after the N import, on its catalog): `--orders` orders (default 10,000; 5 lines
   each, drawn from the first 3,000 products, of 1,000 clients, pre-sale, submitted or
   confirmed) are loaded into orders' database through orders' own bulk load (orders stopped
   meanwhile; their outlets as the clients feed's OutletCreated), the clients created in the
   clients service (UpsertClients, by the ERP's ids), each order recorded in the exchange's
   export journal as its `exchange-orders-export` consumer records an OrderSubmitted
   (`service_layer.export.record`), then one `Export.query` of the partner (what `mode=query`
   and GET /v1/export/orders run, `export_max_documents` = the orders): the pending rows read,
   every order read through orders' GetOrder, its buyer through clients' GetClient and its
   products through GetProduct (16 calls in flight), the CommerceML 2.10 document set written
   (`DocumentsWriter`, lxml's incremental `xmlfile`) and the exchange recorded. Reported: the
   query's wall time and its parts (the reads, the writing, the rest: journal and
   bookkeeping), its memory, and the writer against the baseline: the same document content
   (the tree of the written file, as plain Python tuples of tag, attributes, text and tail)
   built and serialized with lxml alone (`Element`/`SubElement`, `tostring`, to a file).

`--profile` runs the N import and one reader pass under cProfile (the exchange's child: its
event loop; the reader's thread is what the reader pass shows) and profiles orders' thread in
the bench's process during that import; the figures of a profiled run are inflated by the
profiler (so it is noted). `--check` exits 1 when a target is missed. Sizes: the default run
takes about 30 minutes on the 2-core development VM (the two imports 6 and 17 of them, most
of it orders' upserts); `--quick` (2,500 products, 500 orders, two rounds) about a minute
(57 s on the quiet VM, 95 s loaded), `--quick --no-double` 35 s. At these sizes the memory
growths are a few MB, within the flatness check's 8 MB slack: only the full size tells. On
PostgreSQL (`--postgres URL`) every database is a throwaway one (`fl_bench_orders_…`,
`fl_bench_exchange_…`, `fl_bench_clients_…`) dropped at the end, their changed tables analyzed
as autovacuum would (benchkit.statistics_kept).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import cProfile
import gc
import json
import multiprocessing
import os
import platform
import random
import re
import resource
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from lxml import etree

import benchkit
from fieldline.clients.events.v1 import events_pb2 as cev
from fieldline.clients.v1 import clients_service_pb2 as ccs
from fieldline.clients.v1 import clients_service_pb2_grpc as ccs_grpc
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline_clients.entrypoints.main import MIGRATIONS as CLIENTS_MIGRATIONS
from fieldline_clients.entrypoints.main import SPEC as CLIENTS
from fieldline_clients.settings import ClientsSettings
from fieldline_exchange.adapters.commerceml import read
from fieldline_exchange.adapters.commerceml.writer import DocumentsWriter
from fieldline_exchange.bootstrap import bootstrap as exchange_bootstrap
from fieldline_exchange.domain.export import ORDER, JournalEntry
from fieldline_exchange.domain.partners import PartnerCaller
from fieldline_exchange.domain.records import Counts
from fieldline_exchange.entrypoints.main import MIGRATIONS as EXCHANGE_MIGRATIONS
from fieldline_exchange.service_layer import export as export_service
from fieldline_exchange.settings import ExchangeSettings
from fieldline_exchange.settings import validate as validate_exchange
from fieldline_kit.auth.keys import generate_signing_key, jwks_document, private_pem
from fieldline_kit.auth.principal import Kind, Principal
from fieldline_kit.external_ids import PRODUCT, client_id, orders_catalog_id
from fieldline_kit.grpc.convert import money, pb_date, ts
from fieldline_kit.logging import configure_logging
from fieldline_kit.migrations import upgrade_async
from fieldline_kit.roles import ADMIN as ADMIN_ROLE
from fieldline_kit.service import tune_gc
from fieldline_kit.testing.auth import ADMIN
from fieldline_orders.entrypoints.bulk_load import bulk_load
from fieldline_orders.entrypoints.main import MIGRATIONS as ORDERS_MIGRATIONS
from fieldline_orders.entrypoints.main import SPEC as ORDERS
from fieldline_orders.settings import OrdersSettings

# Targets (docs/contexts/exchange.md, *Tests and benchmark*).
RATIO_TARGET = 0.33
MEMORY_TARGET = 150 * 2**20
FLAT_RATIO = 1.25  # growth at 2N / growth at N
FLAT_SLACK = 8 * 2**20  # ... or within this much of it

EXCHANGE_ISSUER = "fieldline-exchange"  # EXCHANGE_TOKEN_ISSUER's default, as orders binds it
NS = "urn:1C.ru:commerceml_210"
BENCH_IDS = uuid.UUID("5b0e7f3c-2a61-4c1e-8f4d-1e2a3b4c5d6e")
TOP_GROUPS, SUBGROUPS = 20, 10
MAKERS = 50
PRICE_TYPES = ("Розничная", "Оптовая", "Дилерская")  # each offer's three prices
PRICE_SHARES = (100, 90, 85)  # percent of the retail price
LIST_LIMIT = 100_000  # orders' MAX_ENTRIES: the most entries a price list holds
WAREHOUSES = ("Основной склад", "Склад Север", "Склад Юг")
QUICK_PRODUCTS, QUICK_ORDERS = 2_500, 500  # --quick: about a minute
CLIENTS_FOR_EXPORT = 1000
LINES_PER_ORDER = 5
ASSORTMENT = 3000  # the products the exported orders are drawn from: what the agents sell
CHUNK = 1000  # records generated per write
SENT = ("groups", "products", "price_types", "offers")  # records an import sends (and counts)
TIMEOUT = 300.0
NAMES = (
    ("Сок", "Нектар", "Морс", "Вода минеральная", "Чай зелёный", "Кофе молотый", "Печенье"),
    ("яблочный", "апельсиновый", "вишнёвый", "классический", "с мятой", "без сахара", "отборный"),
    ("0,2 л", "0,5 л", "0,97 л", "1 л", "250 г", "400 г", "900 г", "1 кг"),
)


# ------------------------------------------------------------------------------ helpers
def mb(size: float) -> str:
    return f"{size / 2**20:,.1f} MB"


def guid(kind: str, n: int) -> str:
    """A deterministic GUID, as 1C's ids look."""
    return str(uuid.uuid5(BENCH_IDS, f"{kind}:{n}"))


def product_guid(n: int) -> str:
    return guid("product", n)


def product_name(n: int) -> str:
    kinds, tastes, sizes = NAMES
    return (
        f"{kinds[n % len(kinds)]} {tastes[n // 7 % len(tastes)]} {sizes[n // 49 % len(sizes)]}, "
        f"арт. {n:06d}"
    )


def retail_kopecks(n: int) -> int:
    return 4_990 + n * 7_919 % 95_000


def rss_bytes() -> int:
    return _status_kb("VmRSS") * 1024


def peak_bytes() -> int:
    return _status_kb("VmHWM") * 1024


def _status_kb(name: str) -> int:
    with open("/proc/self/status") as status:
        found = re.search(rf"^{name}:\s+(\d+) kB", status.read(), re.MULTILINE)
    return int(found.group(1)) if found else 0


def reset_peak() -> int:
    """The resident size now, the high-water mark reset to it (Linux 4.0+: clear_refs 5;
    where that is refused, the peak stays the process's, an upper bound)."""
    gc.collect()
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    return rss_bytes()


def load_average() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


# ---------------------------------------------------------------------------- the files
@dataclass(frozen=True)
class Files:
    products: int
    catalog: Path  # import.xml
    offers: Path  # offers.xml
    catalog_bytes: int = 0
    offers_bytes: int = 0

    @property
    def paths(self) -> list[Path]:
        return [self.catalog, self.offers]

    @property
    def size(self) -> int:
        return self.catalog_bytes + self.offers_bytes

    @property
    def records(self) -> dict[str, int]:
        """What the files hold, as the reader counts it."""
        n = self.products
        return {
            "groups": TOP_GROUPS * (SUBGROUPS + 1),
            "properties": 2,
            "products": n,
            "price_types": len(PRICE_TYPES) * regions(n),
            "warehouses": len(WAREHOUSES),
            "offers": n,
            "prices": n * len(PRICE_TYPES),
            "stock_rows": n * len(WAREHOUSES),
        }


ROOT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<КоммерческаяИнформация xmlns="{NS}" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    'ВерсияСхемы="2.08" ДатаФормирования="2026-12-07T06:00:00">\n'
)
END = "</КоммерческаяИнформация>\n"


def classifier() -> str:
    def group(g: int, name: str, children: str = "") -> str:
        nested = f"<Группы>\n{children}</Группы>" if children else ""
        return (
            f"\t\t\t<Группа><Ид>{guid('group', g)}</Ид><Наименование>{name}</Наименование>"
            f"{nested}</Группа>\n"
        )

    groups = "".join(
        group(
            top,
            f"Категория {top + 1}",
            "".join(
                group(TOP_GROUPS + top * SUBGROUPS + s, f"Подкатегория {top + 1}.{s + 1}")
                for s in range(SUBGROUPS)
            ),
        )
        for top in range(TOP_GROUPS)
    )
    makers = "".join(
        f"<Справочник><ИдЗначения>{guid('maker', m)}</ИдЗначения>"
        f"<Значение>Производитель {m + 1}</Значение></Справочник>"
        for m in range(MAKERS)
    )
    properties = (
        f"\t\t\t<Свойство><Ид>{guid('property', 0)}</Ид><Наименование>Производитель"
        f"</Наименование><ТипЗначений>Справочник</ТипЗначений><ВариантыЗначений>{makers}"
        "</ВариантыЗначений></Свойство>\n"
        f"\t\t\t<Свойство><Ид>{guid('property', 1)}</Ид><Наименование>Вес</Наименование>"
        "<ТипЗначений>Число</ТипЗначений></Свойство>\n"
    )
    return (
        f"\t<Классификатор>\n\t\t<Ид>{guid('classifier', 0)}</Ид>\n"
        "\t\t<Наименование>Классификатор (Основной каталог товаров)</Наименование>\n"
        f"\t\t<Группы>\n{groups}\t\t</Группы>\n\t\t<Свойства>\n{properties}\t\t</Свойства>\n"
        "\t</Классификатор>\n"
    )


def product(n: int) -> str:
    name = product_name(n)
    barcode = f"<Штрихкод>46{n:011d}</Штрихкод>" if n % 10 == 0 else ""
    vat = 10 if n % 4 == 0 else 20
    group = guid("group", TOP_GROUPS + n % (TOP_GROUPS * SUBGROUPS))
    return (
        f"\t\t\t<Товар><Ид>{product_guid(n)}</Ид>{barcode}<Артикул>АРТ-{n:06d}</Артикул>"
        f"<Наименование>{name}</Наименование>"
        '<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" МеждународноеСокращение="PCE">'
        f"шт</БазоваяЕдиница><Группы><Ид>{group}</Ид></Группы><ЗначенияСвойств>"
        f"<ЗначенияСвойства><Ид>{guid('property', 0)}</Ид><Значение>{guid('maker', n % MAKERS)}"
        f"</Значение></ЗначенияСвойства><ЗначенияСвойства><Ид>{guid('property', 1)}</Ид>"
        f"<Значение>{(n % 40 + 1) * 0.05:.2f}</Значение></ЗначенияСвойства></ЗначенияСвойств>"
        "<СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование>"
        f"<Ставка>{vat}</Ставка></СтавкаНалога></СтавкиНалогов><ЗначенияРеквизитов>"
        "<ЗначениеРеквизита><Наименование>ВидНоменклатуры</Наименование><Значение>Товар"
        "</Значение></ЗначениеРеквизита></ЗначенияРеквизитов></Товар>\n"
    )


def regions(n: int) -> int:
    """Sets of the three price types the offers are priced in: one per LIST_LIMIT offers, so
    that no price list outgrows what orders takes (the doubled files: two regions)."""
    return max(1, -(-n // LIST_LIMIT))


def offer(n: int) -> str:
    retail = retail_kopecks(n)
    first = n // LIST_LIMIT * len(PRICE_TYPES)
    prices = "".join(
        f"<Цена><ИдТипаЦены>{guid('price-type', first + t)}</ИдТипаЦены><ЦенаЗаЕдиницу>"
        f"{k // 100}.{k % 100:02d}</ЦенаЗаЕдиницу><Валюта>RUB</Валюта><Единица>шт</Единица>"
        "</Цена>"
        for t, k in enumerate(retail * share // 100 for share in PRICE_SHARES)
    )
    quantities = [n * (w + 3) % 41 for w in range(len(WAREHOUSES))]
    stock = "".join(
        f'<Склад ИдСклада="{guid("warehouse", w)}" КоличествоНаСкладе="{q}"/>'
        for w, q in enumerate(quantities)
    )
    return (
        f"\t\t\t<Предложение><Ид>{product_guid(n)}</Ид><Наименование>{product_name(n)}"
        f"</Наименование><Цены>{prices}</Цены><Количество>{sum(quantities)}</Количество>{stock}"
        "</Предложение>\n"
    )


def offers_head(n: int) -> str:
    types = "".join(
        f"\t\t\t<ТипЦены><Ид>{guid('price-type', r * len(PRICE_TYPES) + t)}</Ид><Наименование>"
        f"{name} (регион {r + 1})</Наименование><Валюта>RUB</Валюта><Налог><Наименование>НДС"
        "</Наименование><УчтеноВСумме>true</УчтеноВСумме></Налог></ТипЦены>\n"
        for r in range(regions(n))
        for t, name in enumerate(PRICE_TYPES)
    )
    warehouses = "".join(
        f"\t\t\t<Склад><Ид>{guid('warehouse', w)}</Ид><Наименование>{name}</Наименование></Склад>\n"
        for w, name in enumerate(WAREHOUSES)
    )
    return (
        '\t<ПакетПредложений СодержитТолькоИзменения="false">\n'
        f"\t\t<Ид>{guid('catalog', 0)}#</Ид>\n\t\t<Наименование>Пакет предложений"
        f"</Наименование>\n\t\t<ИдКаталога>{guid('catalog', 0)}</ИдКаталога>\n"
        f"\t\t<ИдКлассификатора>{guid('classifier', 0)}</ИдКлассификатора>\n"
        f"\t\t<ТипыЦен>\n{types}\t\t</ТипыЦен>\n\t\t<Склады>\n{warehouses}\t\t</Склады>\n"
        "\t\t<Предложения>\n"
    )


def write_records(path: Path, head: str, record: Callable[[int], str], n: int, tail: str) -> None:
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        out.write(head)
        for start in range(0, n, CHUNK):
            out.write("".join(record(i) for i in range(start, min(n, start + CHUNK))))
        out.write(tail)


def generate(directory: Path, n: int) -> Files:
    """import.xml and offers.xml of `n` products in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    files = Files(n, directory / "import.xml", directory / "offers.xml")
    catalog_head = (
        ROOT
        + classifier()
        + '\t<Каталог СодержитТолькоИзменения="false">\n'
        + f"\t\t<Ид>{guid('catalog', 0)}</Ид>\n"
        + f"\t\t<ИдКлассификатора>{guid('classifier', 0)}</ИдКлассификатора>\n"
        + "\t\t<Наименование>Основной каталог товаров</Наименование>\n\t\t<Товары>\n"
    )
    write_records(files.catalog, catalog_head, product, n, "\t\t</Товары>\n\t</Каталог>\n" + END)
    tail = "\t\t</Предложения>\n\t</ПакетПредложений>\n" + END
    write_records(files.offers, ROOT + offers_head(n), offer, n, tail)
    return replace(
        files, catalog_bytes=files.catalog.stat().st_size, offers_bytes=files.offers.stat().st_size
    )


# ------------------------------------------------------------------- the parsing passes
RECORD_TAGS = [
    f"{{{NS}}}{name}" for name in ("Группа", "Свойство", "Товар", "ТипЦены", "Предложение")
]


def iterparse_records(path: Path) -> int:
    """The baseline: the record elements reported and cleared, nothing else."""
    n = 0
    for _, el in etree.iterparse(str(path), tag=RECORD_TAGS):
        el.clear()
        n += 1
    return n


def iterparse_all(path: Path) -> int:
    """The textbook loop: every element reported and cleared."""
    n = 0
    for _, el in etree.iterparse(str(path)):
        el.clear()
        n += 1
    return n


def reader_pass(path: Path) -> int:
    """The exchange's reader as the check pass reads a file: every item counted."""
    counts = Counts(file=path.name)
    for item in read(path):
        counts.add(item)
    return sum(v for v in counts.to_json().values() if isinstance(v, int))


PASSES: dict[str, Callable[[Path], int]] = {
    "iterparse": iterparse_records,
    "iterparse-all": iterparse_all,
    "reader": reader_pass,
}


def parse_child(task: dict[str, Any]) -> dict[str, Any]:
    work = PASSES[task["pass"]]
    paths = [Path(p) for p in task["paths"]]
    profile = cProfile.Profile() if task.get("profile") else None
    tune_gc()
    before = reset_peak()
    seconds: list[float] = []
    items = 0
    cpu = time.process_time()
    for path in paths:
        t0 = time.perf_counter()
        if profile is not None:
            profile.enable()
        items += work(path)
        if profile is not None:
            profile.disable()
        seconds.append(time.perf_counter() - t0)
    result = {
        "seconds": seconds,
        "items": items,
        "cpu": time.process_time() - cpu,
        "rss": before,
        "growth": peak_bytes() - before,
    }
    if profile is not None:
        result["profile"] = benchkit.profile_report(profile, 25)
    return result


# ---------------------------------------------------------------- the exchange (children)
def exchange_settings(task: dict[str, Any]) -> ExchangeSettings:
    settings = ExchangeSettings(**task["settings"])
    validate_exchange(settings)
    return settings


async def new_partner(app: Any, login: str, scopes: Sequence[str]) -> PartnerCaller:
    admin = Principal(Kind.EMPLOYEE, "bench-admin", frozenset({ADMIN_ROLE}))
    made = await app.partners.create(admin, "ERP (bench)", login)
    return PartnerCaller(made.partner["partner_id"], "ERP (bench)", frozenset(scopes), "key")


class RpcClock:
    """Time awaited on each of orders' RPCs, by RPC (OrdersSink's one call site, wrapped on
    the instance: nothing of the exchange's code changes)."""

    def __init__(self) -> None:
        self.calls: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])

    def wrap(self, call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def timed(partner_id: str, rpc: Any, request: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return await call(partner_id, rpc, request)
            finally:
                entry = self.calls[type(request).__name__.removesuffix("Request")]
                entry[0] += 1
                entry[1] += time.perf_counter() - t0

        return timed

    @property
    def seconds(self) -> float:
        return sum(s for _, s in self.calls.values())


async def import_child(task: dict[str, Any]) -> dict[str, Any]:
    app = exchange_bootstrap(exchange_settings(task))
    try:
        caller = await new_partner(app, task["login"], ("catalog:import", "offers:import"))
        stored = [app.files.adopt(Path(p).name, Path(p)) for p in task["paths"]]
        imports = app.imports
        pipeline = (getattr(imports, "pipelines", None) or imports._pipelines)["commerceml"]
        rpcs = RpcClock()
        pipeline._catalog._peers.call = rpcs.wrap(pipeline._catalog._peers.call)
        check = pipeline.check
        checks: list[float] = []

        async def timed_check(job: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return await check(job)
            finally:
                checks.append(time.perf_counter() - t0)

        pipeline.check = timed_check
        batches = pipeline.batches
        reading = [0.0]  # seconds the apply passes spent reading (on the reader's thread)

        def timed_batches(job: Any, size: int) -> Iterator[Any]:
            inner = batches(job, size)

            def each() -> Iterator[Any]:
                try:
                    while True:
                        t0 = time.perf_counter()
                        try:
                            batch = next(inner)
                        except StopIteration:
                            return
                        finally:
                            reading[0] += time.perf_counter() - t0
                        yield batch
                finally:
                    inner.close()  # on the reader's thread, as the pipeline's own close

            return each()

        pipeline.batches = timed_batches
        async with app.read_uow():  # the database reached before the measure
            pass
        profile = cProfile.Profile() if task.get("profile") else None
        tune_gc()  # as `serve` does once ready
        before = reset_peak()
        cpu = time.process_time()
        t0 = time.perf_counter()
        if profile is not None:
            profile.enable()
        jobs = []
        for s in stored:
            jobs += await app.imports.submit(caller, s)
        steps: list[float] = []
        while True:
            s0 = time.perf_counter()
            if not await app.imports.step(app.partners.caller):
                break
            steps.append(time.perf_counter() - s0)
        if profile is not None:
            profile.disable()
        wall = time.perf_counter() - t0
        result: dict[str, Any] = {
            "wall": wall,
            "cpu": time.process_time() - cpu,
            "rss": before,
            "growth": peak_bytes() - before,
            "steps": steps,
            "checks": checks,
            "reading": reading[0],
            "rpcs": dict(rpcs.calls),
            "rpc_seconds": rpcs.seconds,
            "jobs": [],
        }
        for job in jobs:
            row = dict(await app.imports.job(caller, job["job_id"]))
            counts = row["counts"]
            result["jobs"].append(
                {
                    "file": row["filename"],
                    "state": row["state"],
                    "counts": json.loads(counts) if isinstance(counts, str) else counts,
                    "applied": row["records_applied"],
                    "refusal": row["refusal"],
                    "report": [
                        {k: line[k] for k in ("external_id", "reason", "detail") if k in line}
                        for line in await app.imports.report(caller, job["job_id"], 0, 3)
                    ],
                }
            )
        if profile is not None:
            result["profile"] = benchkit.profile_report(profile, 30)
        return result
    finally:
        await app.close()


def content_of(el: Any) -> tuple[Any, ...]:
    """An element as plain Python: (tag, attributes, text, tail, children)."""
    return (el.tag, dict(el.attrib), el.text, el.tail, [content_of(c) for c in el])


def build(parent: Any, node: tuple[Any, ...]) -> None:
    tag, attrib, text, tail, children = node
    el = etree.SubElement(parent, tag, attrib)
    el.text, el.tail = text, tail
    for child in children:
        build(el, child)


def lxml_alone(content: tuple[Any, ...], path: Path) -> float:
    """The baseline of the writer: the same content built and serialized with lxml alone."""
    t0 = time.perf_counter()
    tag, attrib, text, _, children = content
    root = etree.Element(tag, attrib, nsmap={None: NS})
    root.text = text
    for child in children:
        build(root, child)
    path.write_bytes(etree.tostring(root, encoding="utf-8", xml_declaration=True))
    return time.perf_counter() - t0


async def export_child(task: dict[str, Any]) -> dict[str, Any]:
    app = exchange_bootstrap(exchange_settings(task))
    try:
        caller = await new_partner(app, task["login"], ("orders:export",))
        # The journal, as the exchange-orders-export consumer records orders' events.
        now = app.clock()
        orders: list[str] = task["orders"]
        for start in range(0, len(orders), 500):
            async with app.uow() as uow:
                for order_id in orders[start : start + 500]:
                    entry = JournalEntry(ORDER, order_id, 1, now)
                    await export_service.record(uow, entry, now)
                await uow.commit()
        export = app.export
        # The export reads and writes a chunk at a time, one after the other: each part's
        # time is the sum over the chunks.
        parts: dict[str, float] = {"reads": 0.0, "write": 0.0}
        make_reading = export._source.reading

        def timed_reading(partner_id: str) -> Any:
            reading = make_reading(partner_id)
            read = reading.documents

            async def documents(pending: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return await read(pending)
                finally:
                    parts["reads"] += time.perf_counter() - t0

            reading.documents = documents  # type: ignore[method-assign]
            return reading

        export._source.reading = timed_reading  # type: ignore[method-assign]
        write_all = DocumentsWriter.write_all

        def timed_write_all(writer: DocumentsWriter, documents: Any) -> None:
            t0 = time.perf_counter()
            try:
                write_all(writer, documents)
            finally:
                parts["write"] += time.perf_counter() - t0

        DocumentsWriter.write_all = timed_write_all  # type: ignore[method-assign,assignment]
        tune_gc()
        before = reset_peak()
        cpu = time.process_time()
        t0 = time.perf_counter()
        exported = await export.query(caller)
        wall = time.perf_counter() - t0
        result: dict[str, Any] = {
            "wall": wall,
            "cpu": time.process_time() - cpu,
            "rss": before,
            "growth": peak_bytes() - before,
            "parts": parts,
            "documents": exported.exchange.documents,
            "exchange": exported.exchange.number,
            "bytes": exported.path.stat().st_size,
        }
        tree = etree.parse(str(exported.path))
        content = content_of(tree.getroot())
        baseline = Path(task["scratch"]) / "orders-lxml.xml"
        times = [lxml_alone(content, baseline) for _ in range(3)]
        result["lxml_alone"] = min(times)
        result["lxml_bytes"] = baseline.stat().st_size
        t1 = time.perf_counter()
        etree.tostring(tree, encoding="utf-8", xml_declaration=True)
        result["tostring"] = time.perf_counter() - t1
        result["lines"] = sum(1 for _ in tree.getroot().iter(f"{{{NS}}}Товар"))
        exported.path.unlink(missing_ok=True)
        return result
    finally:
        await app.close()


CHILDREN: dict[str, Callable[[dict[str, Any]], Any]] = {
    "parse": parse_child,
    "import": lambda task: asyncio.run(import_child(task)),
    "export": lambda task: asyncio.run(export_child(task)),
}


def child_main(task: dict[str, Any], conn: Connection) -> None:
    configure_logging("bench-exchange", "warning", "console")
    try:
        conn.send(("ok", CHILDREN[task["kind"]](task)))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


async def in_child(task: dict[str, Any]) -> dict[str, Any]:
    """Run `task` in a fresh spawned process; its result."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=child_main, args=(task, child), daemon=True)
    proc.start()
    child.close()
    loop = asyncio.get_running_loop()
    try:
        status, result = await loop.run_in_executor(None, parent.recv)
    except EOFError:
        await loop.run_in_executor(None, proc.join, 10)
        raise RuntimeError(f"the {task['kind']} child died (exit code {proc.exitcode})") from None
    finally:
        parent.close()
    await loop.run_in_executor(None, proc.join, 60)
    if status != "ok":
        raise RuntimeError(f"the {task['kind']} child failed:\n{result}")
    return dict(result)


# ------------------------------------------------------------------- the services (parent)
@dataclass
class Env:
    args: argparse.Namespace
    tmp: Path
    nats_url: str
    auth: benchkit.BenchAuth
    partner_pem: str
    partner_jwks: str
    stack: contextlib.AsyncExitStack

    def service_auth(self) -> dict[str, Any]:
        """A service trusting the bench's issuer and the exchange's partner tokens."""
        return {
            "auth_jwks": f"{self.auth.jwks},{self.partner_jwks}#iss={EXCHANGE_ISSUER}",
            "auth_issuers": (self.auth.tokens.issuer_name, EXCHANGE_ISSUER),
        }

    async def database(self, label: str, migrations: Path) -> str:
        url = await self.stack.enter_async_context(
            benchkit.database(self.args.postgres, self.tmp / f"{label}.sqlite3", label=label)
        )
        await upgrade_async(url, migrations)
        return url

    def exchange_task(self, kind: str, url: str, **targets: str) -> dict[str, Any]:
        settings = {
            "database_url": url,
            "nats_url": self.nats_url,
            "token_signing_keys": (self.partner_pem,),
            "token_issuer": EXCHANGE_ISSUER,
            "auth_jwks": str(self.auth.jwks),
            "auth_issuers": (self.auth.tokens.issuer_name,),
            "clients_target": "127.0.0.1:9",
            "orders_target": "127.0.0.1:9",
            "settlements_target": "127.0.0.1:9",
            "data_dir": str(self.tmp / f"exchange-{uuid.uuid4().hex[:8]}"),
            "max_file_mb": 4096,
            "max_unpacked_mb": 8192,
            "export_max_documents": max(1, self.args.orders),
            "http_host": "127.0.0.1",
            "http_port": 0,
            "log_level": "warning",
            "log_format": "console",
            **benchkit.LOCAL_SERVICE,
            **targets,
        }
        return {"kind": kind, "settings": settings, "login": f"erp-{uuid.uuid4().hex[:8]}"}


def orders_settings(env: Env, url: str) -> OrdersSettings:
    return OrdersSettings(
        database_url=url,
        nats_url=env.nats_url,
        settlements_target="127.0.0.1:9",  # no order is submitted here
        credit_recheck_seconds=0,
        service_signing_key=env.auth.service_key("orders"),
        log_level="warning",
        log_format="console",
        **benchkit.LOCAL_SERVICE,
        **env.service_auth(),
    )


@contextlib.asynccontextmanager
async def orders_running(env: Env, url: str) -> AsyncIterator[str]:
    """Orders as it runs on `url`; yields its gRPC target."""
    process, _ = await ORDERS.build(orders_settings(env, url))
    async with benchkit.running(process):
        yield f"127.0.0.1:{process.grpc_port}"


@contextlib.asynccontextmanager
async def environment(args: argparse.Namespace, tmp: Path) -> AsyncIterator[Env]:
    auth = benchkit.BenchAuth.generate(tmp, services=("orders",))
    key = generate_signing_key()
    pem = tmp / "exchange-partner-tokens.pem"
    pem.write_bytes(private_pem(key))
    pem.chmod(0o600)
    jwks = tmp / "exchange-jwks.json"
    jwks.write_text(json.dumps(jwks_document([key])))
    async with contextlib.AsyncExitStack() as stack:
        nats_url = await stack.enter_async_context(benchkit.embedded_nats(tmp))
        yield Env(args, tmp, nats_url, auth, str(pem), str(jwks), stack)


# ------------------------------------------------------------------------- the measures
@dataclass
class Verdict:
    name: str
    figure: str
    target: str
    ok: bool | None  # None: reported, no target


@dataclass
class Size:
    """What was measured at one size."""

    files: Files
    passes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    imported: dict[str, Any] | None = None
    orders_cpu: float = 0.0
    orders_profile: str = ""

    def best(self, name: str) -> float:
        """The best (least) time of a pass over both files, over the rounds."""
        return min(sum(r["seconds"]) for r in self.passes[name])

    def growth(self, name: str) -> int:
        return max(r["growth"] for r in self.passes[name])


async def measure_passes(size: Size, rounds: int, profile: bool) -> None:
    """The baselines and the reader, alternated round by round, each in a fresh child."""
    paths = [str(p) for p in size.files.paths]
    for r in range(rounds):
        for name in ("iterparse", "reader", "iterparse-all"):
            result = await in_child({"kind": "parse", "pass": name, "paths": paths})
            size.passes.setdefault(name, []).append(result)
            each = " + ".join(f"{s:.2f}" for s in result["seconds"])
            print(
                f"  round {r + 1}: {name:<13} {each} s, {result['items']:,} items, "
                f"resident +{mb(result['growth'])} (from {mb(result['rss'])})"
            )
    if profile:
        result = await in_child({"kind": "parse", "pass": "reader", "paths": paths, "profile": 1})
        print("\n== cProfile: the reader over both files, top 25 by own time ==")
        print(result["profile"])


async def measure_import(env: Env, size: Size, profile: bool) -> str:
    """The import at this size into a fresh orders database; returns orders' database URL
    (its catalog is the export's)."""
    n = size.files.products
    o_url = await env.database(f"orders_{n}", ORDERS_MIGRATIONS)
    x_url = await env.database(f"exchange_{n}", EXCHANGE_MIGRATIONS)
    async with (
        orders_running(env, o_url) as target,
        benchkit.statistics_kept([o_url, x_url], env.args.analyze_every) as statistics,
    ):
        if statistics:
            print(f"  {statistics}")
        task = env.exchange_task("import", x_url, orders_target=target)
        task["paths"] = [str(p) for p in size.files.paths]
        task["profile"] = profile
        orders_profile = cProfile.Profile() if profile else None
        usage = resource.getrusage(resource.RUSAGE_SELF)
        if orders_profile is not None:
            orders_profile.enable()
        try:
            result = await in_child(task)
        finally:
            if orders_profile is not None:
                orders_profile.disable()
        after = resource.getrusage(resource.RUSAGE_SELF)
    shutil.rmtree(task["settings"]["data_dir"], ignore_errors=True)  # the files' copies
    size.orders_cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    size.imported = result
    if orders_profile is not None:
        size.orders_profile = benchkit.profile_report(orders_profile, 30)
    expected = size.files.records
    for job in result["jobs"]:
        counts = {k: v for k, v in job["counts"].items() if v}
        want = {k: v for k, v in expected.items() if k in counts}
        sent = sum(v for k, v in want.items() if k in SENT)  # what reaches orders
        ok = (
            job["state"] == "done"
            and counts == want
            and job["applied"] == sent
            and not job["report"]
        )
        print(
            f"  job {job['file']}: {job['state']}, {job['applied']:,} records applied, counts "
            f"{counts}"
            + (
                ""
                if ok
                else f"  <-- expected {want}, {sent:,} applied; refusal {job['refusal']}, "
                f"report {job['report']}"
            )
        )
        if not ok:
            raise RuntimeError(f"the import of {job['file']} did not complete as expected")
    print(
        f"  import: {result['wall']:.1f} s (checks {' + '.join(f'{c:.1f}' for c in result['checks'])} s), "
        f"exchange CPU {result['cpu']:.1f} s, orders' process CPU {size.orders_cpu:.1f} s, "
        f"awaited on orders' RPCs {result['rpc_seconds']:.1f} s, resident +{mb(result['growth'])}"
    )
    for name, (calls, seconds) in sorted(result["rpcs"].items(), key=lambda kv: -kv[1][1]):
        print(
            f"    {name:<22} {calls:>6,} calls  {seconds:7.1f} s  {seconds / calls * 1000:8.1f} ms/call"
        )
    # The check passes await orders' lists (what it knows) before they read the file.
    lists = sum(result["rpcs"].get(k, (0, 0.0))[1] for k in ("ListProducts", "ListPriceTypes"))
    own = result["wall"] - result["rpc_seconds"]
    check_reading = sum(result["checks"]) - lists
    rest = own - check_reading - result["reading"]
    print(
        f"  the exchange's own {own:.1f} s: reading the files in the check passes "
        f"{check_reading:.1f} s and in the apply passes {result['reading']:.1f} s, the rest "
        f"(requests built, job rows and checkpoints, thread hops) {rest:.1f} s"
    )
    if profile:
        print("\n== cProfile: the exchange's child during the import, top 30 by own time ==")
        print(result["profile"])
        print("== cProfile: orders (the bench's main thread) during the import, top 30 ==")
        print(size.orders_profile)
    return o_url


# ----------------------------------------------------------------------------- export
def outlet_created(client: str, outlet: str) -> EventEnvelope:
    """The clients context's OutletCreated, as its outbox relay publishes it."""
    payload = any_pb2.Any()
    payload.Pack(
        cev.OutletCreated(
            outlet=cpb.Outlet(
                id=outlet, client_id=client, status=cpb.OUTLET_STATUS_ACTIVE, version=1
            )
        )
    )
    return EventEnvelope(
        event_id=str(uuid.uuid4()),
        occurred_at=ts(datetime.now(UTC)),
        aggregate_type="outlet",
        aggregate_id=outlet,
        aggregate_version=1,
        payload=payload,
    )


CENT = Decimal("0.01")
INN_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)


def legal_inn(i: int) -> str:
    """A company's 10-digit INN with its check digit."""
    digits = f"77{i:07d}"
    check = sum(int(d) * w for d, w in zip(digits, INN_WEIGHTS, strict=True)) % 11 % 10
    return f"{digits}{check}"


def an_order(
    rng: random.Random, n: int, products: int, client: str, outlet: str, day: date
) -> opb.Order:
    """A pre-sale order of 5 lines of the imported catalog, at the retail price (VAT in)."""
    order = opb.Order(
        id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        kind=opb.ORDER_KIND_PRE_SALE,
        status=opb.ORDER_STATUS_SUBMITTED if n % 3 else opb.ORDER_STATUS_CONFIRMED,
        client_id=client,
        outlet_id=outlet,
        agent_id=str(uuid.UUID(int=n % 50 + 1, version=4)),
        order_date=pb_date(day),
        delivery_date=pb_date(day + timedelta(days=1)),
        currency_code="RUB",
        credit=opb.CreditDecision(outcome=opb.CREDIT_OUTCOME_ALLOW),
        comment="доставка до 12:00" if n % 7 == 0 else "",
        create_time=ts(datetime.now(UTC)),
        update_time=ts(datetime.now(UTC)),
    )
    for k in rng.sample(range(min(products, ASSORTMENT)), LINES_PER_ORDER):
        quantity = rng.randint(1, 24)
        price = Decimal(retail_kopecks(k)) / 100
        rate = 10 if k % 4 == 0 else 20
        gross = price * quantity
        vat = (gross * rate / (100 + rate)).quantize(CENT, ROUND_HALF_UP)
        line = order.lines.add(
            product_id=orders_catalog_id(PRODUCT, product_guid(k)),
            unit="pcs",
            quantity=str(quantity),
            base_quantity=str(quantity),
            price_source="price_list",
            vat_rate=str(rate),
        )
        line.unit_price.CopyFrom(money(price, "RUB"))
        line.net_amount.CopyFrom(money(gross - vat, "RUB"))
        line.vat_amount.CopyFrom(money(vat, "RUB"))
        line.gross_amount.CopyFrom(money(gross, "RUB"))
    return order


async def measure_export(env: Env, o_url: str, products: int) -> dict[str, Any]:
    args = env.args
    rng = random.Random(args.seed)
    clients = [
        (f"CP-{i:05d}", client_id(f"CP-{i:05d}"), str(uuid.UUID(int=rng.getrandbits(128))))
        for i in range(CLIENTS_FOR_EXPORT)
    ]
    day = datetime.now(UTC).date()
    orders = [
        an_order(rng, n, products, clients[n % len(clients)][1], clients[n % len(clients)][2], day)
        for n in range(args.orders)
    ]

    def messages() -> Iterator[Message]:
        for _, client, outlet in clients:
            yield outlet_created(client, outlet)
        yield from orders

    distinct = (
        len({o.client_id for o in orders}),
        len({ln.product_id for o in orders for ln in o.lines}),
    )
    t0 = time.perf_counter()
    counts = await bulk_load(o_url, messages())
    print(
        f"  {counts.get('orders', 0):,} orders ({LINES_PER_ORDER} lines each) and "
        f"{len(clients):,} outlets bulk-loaded into orders in {time.perf_counter() - t0:.1f} s"
    )
    c_url = await env.database("clients", CLIENTS_MIGRATIONS)
    c_process, _ = await CLIENTS.build(
        ClientsSettings(
            database_url=c_url,
            nats_url=env.nats_url,
            log_level="warning",
            log_format="console",
            **benchkit.LOCAL_SERVICE,
            **env.service_auth(),
        )
    )
    x_url = await env.database("exchange_export", EXCHANGE_MIGRATIONS)
    async with (
        benchkit.running(c_process),
        orders_running(env, o_url) as o_target,
        benchkit.statistics_kept([o_url, c_url, x_url], args.analyze_every),
    ):
        c_target = f"127.0.0.1:{c_process.grpc_port}"
        async with grpc.aio.insecure_channel(c_target) as channel:
            stub = ccs_grpc.ClientsServiceStub(channel)
            admin = env.auth.metadata_for(ADMIN)
            for start in range(0, len(clients), 500):
                await stub.UpsertClients(
                    ccs.UpsertClientsRequest(
                        request_id=str(uuid.uuid4()),
                        clients=[
                            ccs.ClientUpsert(
                                external_id=external,
                                name=f'ООО "Покупатель {i + 1}"',
                                inn=legal_inn(i),
                                kpp="770101001",
                                type=cpb.CLIENT_TYPE_RETAIL,
                                legal_address=f"г. Москва, ул. Тверская, д. {i % 200 + 1}",
                            )
                            for i, (external, _, _) in enumerate(
                                clients[start : start + 500], start
                            )
                        ],
                    ),
                    metadata=admin,
                    timeout=TIMEOUT,
                )
        task = env.exchange_task("export", x_url, orders_target=o_target, clients_target=c_target)
        task["orders"] = [o.id for o in orders]
        task["scratch"] = str(env.tmp)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result = await in_child(task)
        after = resource.getrusage(resource.RUSAGE_SELF)
    result["services_cpu"] = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    result["clients"], result["products"] = distinct
    return result


# ------------------------------------------------------------------------------ report
def print_table(verdicts: Sequence[Verdict]) -> None:
    w1 = max(len(v.name) for v in verdicts)
    w2 = max(len(v.figure) for v in verdicts)
    w3 = max(len(v.target) for v in verdicts)
    print(f"\n{'figure':<{w1}}  {'measured':<{w2}}  {'target':<{w3}}  verdict")
    print("-" * (w1 + w2 + w3 + 14))
    for v in verdicts:
        verdict = "—" if v.ok is None else ("PASS" if v.ok else "FAIL")
        print(f"{v.name:<{w1}}  {v.figure:<{w2}}  {v.target:<{w3}}  {verdict}")


def flat(small: int, large: int) -> bool:
    return large <= max(small * FLAT_RATIO, small + FLAT_SLACK)


def verdicts(sizes: list[Size], exported: dict[str, Any] | None, orders: int) -> list[Verdict]:
    out: list[Verdict] = []
    for i, size in enumerate(sizes):
        n = size.files.products
        label = f"{n:,}"
        base, textbook, reader = (
            size.best("iterparse"),
            size.best("iterparse-all"),
            size.best("reader"),
        )
        out.append(
            Verdict(
                f"reader alone vs iterparse ({label})",
                f"{base / reader:.2f}x ({reader:.1f} s vs {base:.1f} s; textbook loop "
                f"{textbook / reader:.2f}x)",
                "reported",
                None,
            )
        )
        imported = size.imported
        if imported is None:
            continue
        wall, rpc = imported["wall"], imported["rpc_seconds"]
        own = wall - rpc
        out.append(
            Verdict(
                f"import vs iterparse, whole ({label})",
                f"{base / wall:.3f}x ({wall:.1f} s vs {base:.1f} s; textbook loop "
                f"{textbook / wall:.3f}x)",
                f">= {RATIO_TARGET}x" if i == 0 else "reported",
                base / wall >= RATIO_TARGET if i == 0 else None,
            )
        )
        out.append(
            Verdict(
                f"import, exchange's own work ({label})",
                f"{base / own:.3f}x ({own:.1f} s: wall less {rpc:.1f} s awaited on orders)",
                "reported",
                None,
            )
        )
        out.append(
            Verdict(
                f"import throughput ({label})",
                f"{2 * n / wall:,.0f} products+offers/s, {size.files.size / 2**20 / wall:.1f} MB/s",
                "reported",
                None,
            )
        )
    for name, get in (
        ("reader", lambda s: s.growth("reader")),
        ("import", lambda s: s.imported["growth"] if s.imported else None),
    ):
        grown = [(s.files.products, get(s)) for s in sizes if get(s) is not None]
        for n, g in grown:
            out.append(
                Verdict(
                    f"{name} peak memory growth ({n:,})",
                    mb(g),
                    f"< {mb(MEMORY_TARGET)}",
                    g < MEMORY_TARGET,
                )
            )
        if len(grown) == 2:
            (n1, g1), (n2, g2) = grown
            per = (g2 - g1) / (2 * (n2 - n1))
            out.append(
                Verdict(
                    f"{name} memory when the files double",
                    f"x{g2 / max(g1, 1):.2f} ({mb(g1)} → {mb(g2)}; {per:,.0f} B per extra "
                    "record, a product or an offer)",
                    f"<= x{FLAT_RATIO} or +{mb(FLAT_SLACK)}",
                    flat(g1, g2),
                )
            )
    if exported is None:
        out.append(Verdict(f"export of {orders:,} orders", "not measured", "reported", None))
    else:
        e = exported
        parts = e["parts"]
        out.append(
            Verdict(
                f"export of {e['documents']:,} orders (query)",
                f"{e['wall']:.1f} s, {e['documents'] / e['wall']:,.0f} orders/s, {mb(e['bytes'])}",
                "reported",
                None,
            )
        )
        out.append(
            Verdict(
                "export: writer vs lxml alone",
                f"{e['lxml_alone'] / parts['write']:.2f}x ({parts['write']:.2f} s vs "
                f"{e['lxml_alone']:.2f} s)",
                "reported",
                None,
            )
        )
        out.append(
            Verdict(
                "export peak memory growth",
                f"{mb(e['growth'])} ({e['growth'] / max(e['documents'], 1) / 1024:,.1f} KB per order)",
                "reported",
                None,
            )
        )
    return out


async def machine(postgres: str | None) -> str:
    facts = (
        f"{os.cpu_count()} cores, load average {load_average()}; Python "
        f"{platform.python_version()}, lxml {'.'.join(map(str, etree.LXML_VERSION[:3]))} "
        f"(libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))})"
    )
    return f"{facts}; {await benchkit.database_version(postgres)}"


async def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    db = "PostgreSQL" if args.postgres else "SQLite"
    print("== Fieldline exchange: CommerceML import and export bench (issue 14) ==")
    print(
        f"{args.products:,} products (and {2 * args.products:,} for the doubled files: "
        f"{'off' if args.no_double else 'on'}), {args.orders:,} orders to export; {db}; "
        f"{args.rounds} rounds"
    )
    print(f"machine: {await machine(args.postgres)}")
    sizes: list[Size] = []
    exported: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="fl-exchange-bench-") as tmp_name:
        tmp = Path(tmp_name)
        async with environment(args, tmp) as env:
            counts = [args.products] if args.no_double else [args.products, 2 * args.products]
            for i, n in enumerate(counts):
                t0 = time.perf_counter()
                files = generate(tmp / f"files-{n}", n)
                sizes.append(size := Size(files))
                print(
                    f"\n-- {n:,} products: import.xml {mb(files.catalog_bytes)} "
                    f"({files.catalog_bytes / n:,.0f} B/product), offers.xml "
                    f"{mb(files.offers_bytes)} ({files.offers_bytes / n:,.0f} "
                    f"B/offer), {mb(files.size)} in all, generated in "
                    f"{time.perf_counter() - t0:.1f} s; load average {load_average()}"
                )
                await measure_passes(size, args.rounds if i == 0 else 1, args.profile and i == 0)
                print(f"  import at {n:,} (load average {load_average()}):")
                o_url = await measure_import(env, size, args.profile and i == 0)
                if i == 0 and args.orders > 0:
                    print(f"\n-- export of {args.orders:,} orders (load average {load_average()})")
                    exported = await measure_export(env, o_url, n)
                    parts = exported["parts"]
                    rest = exported["wall"] - parts["reads"] - parts["write"]
                    print(
                        f"  query: {exported['wall']:.2f} s for {exported['documents']:,} "
                        f"documents ({exported['lines']:,} lines, {mb(exported['bytes'])}): "
                        f"reads {parts['reads']:.2f} s (GetOrder ×{exported['documents']:,}, "
                        f"GetClient ×{exported['clients']:,}, GetProduct "
                        f"×{exported['products']:,}), "
                        f"writing {parts['write']:.2f} s, journal and exchange {rest:.2f} s; "
                        f"exchange CPU {exported['cpu']:.1f} s, orders + clients CPU "
                        f"{exported['services_cpu']:.1f} s; resident +{mb(exported['growth'])}"
                    )
                    print(
                        f"  lxml alone, the same content: built and serialized "
                        f"{exported['lxml_alone']:.2f} s ({mb(exported['lxml_bytes'])}); "
                        f"serializing the parsed tree alone {exported['tostring']:.2f} s"
                    )
                for path in files.paths:
                    path.unlink()
    table = verdicts(sizes, exported, args.orders)
    print_table(table)
    if args.profile:
        print("(profiled run: the N import's times include cProfile's overhead)")
    failed = [v.name for v in table if v.ok is False]
    outcome = f"{len(failed)} target(s) missed" if failed else "every target met"
    print(
        f"\nrun: {time.perf_counter() - started:.0f} s, {db}; load average now {load_average()}; "
        f"{outcome}"
    )
    return 1 if failed and args.check else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    benchkit.add_postgres_argument(parser)
    benchkit.add_analyze_argument(parser)
    parser.add_argument("--products", type=int, default=None, help="default 100,000")
    parser.add_argument("--orders", type=int, default=None, help="to export (default 10,000)")
    parser.add_argument("--rounds", type=int, default=None, help="of the parsing passes (3)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_PRODUCTS:,} products, {QUICK_ORDERS:,} orders, 2 rounds",
    )
    parser.add_argument("--no-double", action="store_true", help="skip the doubled files")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--profile", action="store_true", help="cProfile reports (see above)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    quick = args.quick
    args.products = args.products or (QUICK_PRODUCTS if quick else 100_000)
    args.orders = args.orders if args.orders is not None else (QUICK_ORDERS if quick else 10_000)
    args.rounds = args.rounds or (2 if quick else 3)
    if args.products < LINES_PER_ORDER:
        parser.error(f"need at least {LINES_PER_ORDER} products")
    configure_logging("bench", "warning", "console")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
