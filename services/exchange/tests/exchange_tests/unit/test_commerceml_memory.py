"""Memory stays flat whatever the file size: files of 15 and 30 MB, generated here, are read
with the same peak. What may grow is only the set of ids kept to refuse duplicates (a few dozen
bytes per record, nothing of the records' content).

tracemalloc sees Python's allocations (the records, lxml's element proxies); libxml2's own
tree is C memory it cannot see, so the peak resident size of a child process reading each
file is compared too: an element left uncleared would show there.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from fieldline_exchange.adapters.commerceml import read
from fieldline_exchange.domain.records import Offer

MB = 1024 * 1024
# ~8 KB of text per offer: the files are big in bytes, light in records, so that the test
# measures memory against size and stays quick.
DESCRIPTION = "Описание товара для проверки памяти. " * 120

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_210" ВерсияСхемы="2.08">
<ПакетПредложений>
<Ид>pkg</Ид>
<ТипыЦен><ТипЦены><Ид>pt</Ид><Наименование>Розница</Наименование><Валюта>RUB</Валюта></ТипЦены>
</ТипыЦен>
<Склады><Склад><Ид>w1</Ид><Наименование>Основной</Наименование></Склад></Склады>
<Предложения>
"""
TAIL = "</Предложения>\n</ПакетПредложений>\n</КоммерческаяИнформация>\n"


def offer(n: int) -> str:
    return (
        f"<Предложение><Ид>{n:08x}-0000-0000-0000-000000000000#{n:012x}</Ид>"
        f"<Наименование>Товар {n}</Наименование><Описание>{DESCRIPTION}</Описание>"
        '<БазоваяЕдиница Код="796">шт</БазоваяЕдиница>'
        f"<Цены><Цена><ИдТипаЦены>pt</ИдТипаЦены><ЦенаЗаЕдиницу>{n % 997},50</ЦенаЗаЕдиницу>"
        "<Валюта>RUB</Валюта></Цена></Цены>"
        f'<Количество>5</Количество><Склад ИдСклада="w1" КоличествоНаСкладе="{n % 7}"/>'
        "</Предложение>\n"
    )


def generate(path: Path, size: int) -> int:
    """An offers file of about `size` bytes; returns its number of offers."""
    count = 0
    with path.open("w", encoding="utf-8") as f:
        f.write(HEAD)
        while f.tell() < size:
            f.write("".join(offer(count + i) for i in range(100)))
            count += 100
        f.write(TAIL)
    return count


def peak_while_reading(path: Path, *, check_duplicates: bool) -> tuple[int, int]:
    """(tracemalloc peak in bytes, offers read)."""
    offers = 0
    tracemalloc.start()
    try:
        for item in read(path, check_duplicates=check_duplicates):
            offers += isinstance(item, Offer)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, offers


CHILD = """
import json, resource, sys
from fieldline_exchange.adapters.commerceml import read
n = sum(1 for _ in read(sys.argv[1], check_duplicates=False))
print(json.dumps({"items": n, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def peak_rss_kb(path: Path) -> int:
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return int(json.loads(run.stdout)["maxrss_kb"])


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, int]]:
    folder = tmp_path_factory.mktemp("memory")
    out = {}
    for size in (15, 30):
        path = folder / f"offers-{size}mb.xml"
        out[size] = (path, generate(path, size * MB))
    return out


def test_memory_is_flat_when_the_file_doubles(files: dict[int, tuple[Path, int]]) -> None:
    started = time.monotonic()
    (small, small_offers), (large, large_offers) = files[15], files[30]
    assert large.stat().st_size >= 2 * small.stat().st_size - MB

    # Nothing kept between records: the same peak for 15 and 30 MB.
    peak_small, read_small = peak_while_reading(small, check_duplicates=False)
    peak_large, read_large = peak_while_reading(large, check_duplicates=False)
    assert (read_small, read_large) == (small_offers, large_offers)
    assert peak_small < 2 * MB, peak_small
    assert abs(peak_large - peak_small) < 256 * 1024, (peak_small, peak_large)

    # The check pass keeps each offer's id to refuse duplicates, and nothing else.
    checked_small, _ = peak_while_reading(small, check_duplicates=True)
    checked_large, _ = peak_while_reading(large, check_duplicates=True)
    per_extra_offer = (checked_large - checked_small) / (large_offers - small_offers)
    # A 50-character id is a ~100-byte string; the set's table adds up to as much around a
    # resize (when tracemalloc's peak sees the old and the new table at once).
    assert per_extra_offer < 320, per_extra_offer
    assert checked_large < 8 * MB, checked_large

    # libxml2's memory, which tracemalloc cannot see.
    rss_small, rss_large = peak_rss_kb(small), peak_rss_kb(large)
    assert rss_large - rss_small < 8 * 1024, (rss_small, rss_large)
    assert time.monotonic() - started < 60  # ~10 s on an idle machine
