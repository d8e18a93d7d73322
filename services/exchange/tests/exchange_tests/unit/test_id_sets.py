"""IdSet: a set whose ids move to disk past a limit, answering the same either way."""

from __future__ import annotations

import gc
import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldline_exchange.adapters import id_sets
from fieldline_exchange.adapters.commerceml import read
from fieldline_exchange.adapters.id_sets import IdSet
from fieldline_exchange.domain.records import Refusal


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.text(min_size=1, max_size=12), st.booleans()), max_size=60),
    st.integers(1, 8),
)
def test_it_answers_as_a_set_whatever_lives_on_disk(
    ids: list[tuple[str, bool]], limit: int
) -> None:
    """`add` says whether the id is new; `include` (unchecked) and `add` mixed, the ids in
    memory, on disk or both: the set's members, size and contents are a set's."""
    kept = IdSet(limit=limit)
    plain: set[str] = set()
    for id_, checked in ids:
        if checked:
            assert kept.add(id_) is (id_ not in plain)
        else:
            kept.include(id_)
        plain.add(id_)
    assert len(kept) == len(plain)
    assert sorted(kept) == sorted(plain)
    assert all(i in kept for i in plain) and "never-added" not in kept
    kept.close()


def test_its_file_goes_with_it() -> None:
    kept = IdSet((f"id-{n}" for n in range(10)), limit=4)
    assert kept.on_disk and len(kept) == 10
    path = kept._db.execute("PRAGMA database_list").fetchone()[2]  # type: ignore[union-attr]
    assert os.path.exists(path)
    del kept
    gc.collect()
    assert not os.path.exists(path)


def test_the_reader_refuses_a_duplicate_kept_on_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the limit the ids seen are on disk: a duplicate far from its first is still found."""
    monkeypatch.setattr(id_sets, "LIMIT", 3)
    products = "".join(
        f"<Товар><Ид>p-{n}</Ид><Наименование>Товар {n}</Наименование></Товар>"
        for n in [*range(10), 1]
    )
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_210" ВерсияСхемы="2.10">'
        f"<Каталог><Ид>c</Ид><Наименование>К</Наименование><Товары>{products}</Товары>"
        "</Каталог></КоммерческаяИнформация>"
    ).encode()
    with pytest.raises(Refusal) as refused:
        list(read(io.BytesIO(data)))
    assert refused.value.code == "duplicate-id" and "p-1" in str(refused.value)
