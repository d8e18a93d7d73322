"""Hostile and broken input: each file is refused with its code (and a line where there is
one), before anything of it could be applied. DTDs of any kind are refused from the prolog,
before the parser runs: no file is opened and no connection made on the file's say-so."""

from __future__ import annotations

import io
import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from fieldline_exchange.adapters.commerceml import inspect, read
from fieldline_exchange.domain.records import (
    BAD_ENCODING,
    DTD_FORBIDDEN,
    DUPLICATE_ID,
    MALFORMED,
    TOO_LARGE,
    UNKNOWN_NAMESPACE,
    UNKNOWN_ROOT,
    UNSUPPORTED_VERSION,
    Product,
    Refusal,
)

from .test_commerceml_fixtures import CATALOG, OFFERS, cml

SECRET = "FIELDLINE-SECRET-7f3a9c"


def refusal_of(data: bytes, **options: object) -> Refusal:
    with pytest.raises(Refusal) as caught:
        list(read(io.BytesIO(data), **options))  # type: ignore[arg-type]
    return caught.value


def with_doctype(doctype: str, body: str = "<Каталог><Ид>&xxe;</Ид></Каталог>") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"{doctype}\n"
        '<КоммерческаяИнформация ВерсияСхемы="2.08">\n'
        f"{body}\n"
        "</КоммерческаяИнформация>\n"
    ).encode()


# -- DTDs: XXE, external DTDs, billion laughs ---------------------------------------------------


def test_xxe_with_an_external_entity_is_refused_and_the_file_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    data = with_doctype(f'<!DOCTYPE КоммерческаяИнформация [<!ENTITY xxe SYSTEM "{secret}">]>')
    path = tmp_path / "import.xml"
    path.write_bytes(data)
    result = inspect(path)
    assert result["refused"] == {
        "code": DTD_FORBIDDEN,
        "message": "a DOCTYPE is not accepted (no DTDs, no entities)",
        "line": 2,
    }
    assert SECRET not in repr(result)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX named pipes")
def test_an_entity_naming_a_pipe_is_never_opened(tmp_path: Path) -> None:
    """Opening a named pipe for reading blocks until a writer comes: had the parser followed
    the entity, the read would hang and a non-blocking writer would find a reader."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    data = with_doctype(f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{pipe}">]>')
    outcome: list[str] = []

    def run() -> None:
        try:
            list(read(io.BytesIO(data)))
        except Refusal as refusal:
            outcome.append(refusal.code)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # blocked on the pipe: let it go, and fail
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("the reader opened the entity's file")
    assert outcome == [DTD_FORBIDDEN]
    with pytest.raises(OSError):  # ENXIO: nobody has the pipe open for reading
        os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)


def test_an_external_dtd_is_refused_and_no_connection_made() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.setblocking(False)
        port = server.getsockname()[1]
        data = with_doctype(
            f'<!DOCTYPE КоммерческаяИнформация SYSTEM "http://127.0.0.1:{port}/cml.dtd">',
            body="<Каталог/>",
        )
        assert refusal_of(data).code == DTD_FORBIDDEN
        with pytest.raises(BlockingIOError):  # nobody knocked
            server.accept()


def test_billion_laughs_is_refused_at_once() -> None:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    data = with_doctype(f"<!DOCTYPE r [{entities}]>", body="<Каталог><Ид>&lol9;</Ид></Каталог>")
    refusal = refusal_of(data)
    assert (refusal.code, refusal.line) == (DTD_FORBIDDEN, 2)


@pytest.mark.parametrize(
    "prolog",
    [
        "<!doctype r>",  # not XML (it is case-sensitive), refused all the same
        "<!-- a comment first -->\n<?pi x?>\n<!DOCTYPE r>",
        '<!DOCTYPE r PUBLIC "-//X//DTD//EN" "cml.dtd">',
    ],
)
def test_any_doctype_is_refused(prolog: str) -> None:
    assert refusal_of(with_doctype(prolog, body="<Каталог/>")).code == DTD_FORBIDDEN


def test_a_doctype_hidden_past_64_kib_of_comments_is_refused() -> None:
    data = with_doctype("<!--" + "x" * 70_000 + "-->\n<!DOCTYPE r>", body="<Каталог/>")
    refusal = refusal_of(data)
    assert refusal.code == MALFORMED
    assert "64 KiB" in refusal.message


def test_an_undeclared_entity_is_malformed() -> None:
    data = cml("<Каталог><Ид>&xxe;</Ид></Каталог>")
    refusal = refusal_of(data)
    assert refusal.code == MALFORMED
    assert "xxe" in refusal.message


# -- broken files --------------------------------------------------------------------------------


def test_truncated_xml_is_malformed_with_lxmls_line() -> None:
    data = cml(CATALOG + OFFERS)
    cut = data[: data.index("<Предложение>".encode()) + 200]
    refusal = refusal_of(cut)
    assert refusal.code == MALFORMED
    assert refusal.line == cut.count(b"\n") + 1
    assert "Premature end of data" in refusal.message


@pytest.mark.parametrize("data", [b"", b"not xml at all", b"\x00\x01\x02", b"<a"])
def test_what_is_not_xml_is_malformed(data: bytes) -> None:
    assert refusal_of(data).code == MALFORMED


def test_windows_1251_bytes_declared_utf8_are_refused_with_their_line() -> None:
    text = cml(CATALOG, encoding="UTF-8").decode()
    data = text.encode("cp1251")  # the bytes of windows-1251, the declaration still says UTF-8
    refusal = refusal_of(data)
    assert refusal.code == BAD_ENCODING
    assert refusal.line == 2  # the root's name is the first Cyrillic


def test_bytes_undefined_in_windows_1251_are_refused_with_their_line(tmp_path: Path) -> None:
    data = cml(CATALOG, encoding="windows-1251")
    at = data.index("Соки".encode("cp1251"))
    broken = data[:at] + b"\x98" + data[at:]  # 0x98 is no character in windows-1251
    path = tmp_path / "broken.xml"
    path.write_bytes(broken)
    refused = inspect(path)["refused"]
    assert isinstance(refused, dict)
    assert refused["code"] == BAD_ENCODING
    assert refused["line"] == broken[:at].count(b"\n") + 1


@pytest.mark.parametrize(
    "data",
    [
        "<?xml version='1.0' encoding='UTF-16'?><КоммерческаяИнформация/>".encode("utf-16"),
        '<?xml version="1.0" encoding="koi8-r"?>\n<КоммерческаяИнформация/>'.encode("koi8-r"),
        b'\xef\xbb\xbf<?xml version="1.0" encoding="windows-1251"?>\n<a/>',
    ],
)
def test_encodings_other_than_utf8_and_windows_1251_are_refused(data: bytes) -> None:
    assert refusal_of(data).code == BAD_ENCODING


def test_an_unknown_namespace_is_refused() -> None:
    refusal = refusal_of(cml(CATALOG, ns="urn:example:not-commerceml"))
    assert (refusal.code, refusal.line) == (UNKNOWN_NAMESPACE, 2)


def test_elements_of_another_namespace_are_not_read_as_records() -> None:
    body = (
        '<Каталог><Товары><x:Товар xmlns:x="urn:other"><Ид>a</Ид><Наименование>A</Наименование>'
        "</x:Товар></Товары></Каталог>"
    )
    assert list(read(io.BytesIO(cml(body)))) == []


@pytest.mark.parametrize(
    "data",
    [
        '<?xml version="1.0"?>\n<Catalog ВерсияСхемы="2.08"><Каталог/></Catalog>'.encode(),
        b'<?xml version="1.0"?>\n<Catalog/>',
        "<КоммерческаяИнформация ВерсияСхемы='2.08'><Прочее/></КоммерческаяИнформация>".encode(),
    ],
)
def test_an_unknown_root_is_refused(data: bytes) -> None:
    assert refusal_of(data).code == UNKNOWN_ROOT


def test_version_3_is_refused_as_such() -> None:
    refusal = refusal_of(cml(CATALOG, version="3.1"))
    assert refusal.code == UNSUPPORTED_VERSION
    assert refusal.message.startswith("CommerceML 3.x is not supported")


def test_version_1_attribute_based_is_refused_as_1c_77() -> None:
    # 1C 7.7's format: no ВерсияСхемы, attributes where 2.x has elements.
    data = """<?xml version="1.0" encoding="windows-1251"?>
<КоммерческаяИнформация>
  <Каталог Идентификатор="C1" Наименование="Каталог товаров" Единица="шт">
    <Группа Идентификатор="G1" Наименование="Сантехника"/>
    <Товар Идентификатор="T1" Наименование="Кран" Родитель="G1"/>
  </Каталог>
</КоммерческаяИнформация>
""".encode("cp1251")
    refusal = refusal_of(data)
    assert (refusal.code, refusal.line) == (UNSUPPORTED_VERSION, 3)
    assert refusal.message == (
        "CommerceML 1.x (1C 7.7 format) is not supported: export CommerceML 2.x (2.03–2.10)"
    )


def test_an_unknown_version_is_refused() -> None:
    assert refusal_of(cml(CATALOG, version="4.0")).code == UNSUPPORTED_VERSION


@pytest.mark.parametrize(
    ("body", "twice"),
    [
        (
            "<Каталог><Товары>"
            + "<Товар><Ид>t-1</Ид><Наименование>A</Наименование></Товар>\n" * 2
            + "</Товары></Каталог>",
            "product Ид 't-1'",
        ),
        (
            "<Классификатор><Группы><Группа><Ид>g</Ид><Наименование>A</Наименование>"
            "<Группы>\n<Группа><Ид>g</Ид><Наименование>B</Наименование></Группа></Группы>"
            "</Группа></Группы></Классификатор>",
            "group Ид 'g'",
        ),
        (
            "<ПакетПредложений><Предложения>"
            + "<Предложение><Ид>o</Ид><Количество>1</Количество></Предложение>\n" * 2
            + "</Предложения></ПакетПредложений>",
            "offer Ид 'o'",
        ),
        (
            "<ПакетПредложений><Склады>"
            + "<Склад><Ид>w</Ид></Склад>\n" * 2
            + "</Склады></ПакетПредложений>",
            "warehouse Ид 'w'",
        ),
        (
            "<Документ><Ид>d</Ид><ХозОперация>Заказ товара</ХозОперация></Документ>\n" * 2,
            "document Ид 'd'",
        ),
    ],
)
def test_duplicate_ids_within_a_kind_are_refused(body: str, twice: str) -> None:
    data = cml(body)
    refusal = refusal_of(data)
    assert refusal.code == DUPLICATE_ID
    assert refusal.message == f"{twice} appears twice in the file"
    assert refusal.line == 4  # the second one's


def test_the_same_id_in_two_kinds_is_no_duplicate() -> None:
    body = (
        "<Каталог><Товары><Товар><Ид>x</Ид><Наименование>A</Наименование></Товар></Товары>"
        "</Каталог>"
    )
    offers = "<ПакетПредложений><Предложения><Предложение><Ид>x</Ид><Количество>1</Количество>"
    offers += "</Предложение></Предложения></ПакетПредложений>"
    assert len(list(read(io.BytesIO(cml(body + offers))))) == 2


def test_a_pass_told_not_to_check_duplicates_reads_them() -> None:
    body = "<Каталог><Товары>" + "<Товар><Ид>t</Ид><Наименование>A</Наименование></Товар>" * 2
    items = list(read(io.BytesIO(cml(body + "</Товары></Каталог>")), check_duplicates=False))
    assert [type(i) for i in items] == [Product, Product]


def test_a_file_past_the_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    data = cml(CATALOG)
    path = tmp_path / "import.xml"
    path.write_bytes(data)
    assert refusal_of(data, max_bytes=100).code == TOO_LARGE
    with pytest.raises(Refusal, match="too-large"):
        list(read(path, max_bytes=len(data) - 1))
    assert len(list(read(path, max_bytes=len(data)))) == 8
