"""The own format on real files, each in a process of its own: a large file validates and
reads in bounded memory (the reader flat; validation growing only by the ids the schema
keeps unique), and the schema ships in the package's wheel, where an installed copy finds
it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[3]
XSDS = (
    "fieldline_exchange/schemas/fieldline-exchange-1.0.xsd",
    "fieldline_exchange/schemas/fieldline-exchange-1.1.xsd",
)
XSD = XSDS[-1]  # the newest: what an installed copy validates a written file against

_RUN = textwrap.dedent(
    """
    import json, resource, sys, time
    from datetime import UTC, date, datetime
    from decimal import Decimal
    from pathlib import Path
    from fieldline_exchange.adapters import own_format
    from fieldline_exchange.domain.own_records import Invoice

    step, count, path = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    started = time.perf_counter()
    if step == "write":
        records = (
            Invoice(f"INV-{n:08d}", f"РН-{n}", f"C-{n % 5000}", date(2026, 11, 1),
                    date(2026, 12, 1), Decimal(n) / 100, Decimal(n % 7), "RUB")
            for n in range(count)
        )
        own_format.write(records, path, partner="erp-main", created=datetime.now(UTC))
        seen = count
    elif step == "validate":
        assert own_format.validate(path) is None
        seen = count
    else:
        seen = sum(1 for _ in own_format.read(path, validated=True))
    print(json.dumps({
        "records": seen,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "seconds": time.perf_counter() - started,
    }))
    """
)


def _step(step: str, count: int, path: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _RUN, step, str(count), str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    found: dict[str, float] = json.loads(done.stdout)
    assert found["records"] == count
    return found


def test_a_large_file_validates_and_reads_in_bounded_memory(tmp_path: Path) -> None:
    small, large = 10_000, 40_000
    figures = {}
    for count in (small, large):
        path = tmp_path / f"invoices-{count}.xml"
        _step("write", count, path)
        figures[count] = {
            "size_mb": path.stat().st_size / 2**20,
            "validate": _step("validate", count, path),
            "read": _step("read", count, path),
        }
    extra = large - small
    grown_mb = figures[large]["size_mb"] - figures[small]["size_mb"]
    read_growth = figures[large]["read"]["rss_mb"] - figures[small]["read"]["rss_mb"]
    validate_growth = figures[large]["validate"]["rss_mb"] - figures[small]["validate"]["rss_mb"]
    # The reader holds one item at a time: flat.
    assert read_growth < 5, figures
    # Validation keeps the invoice ids for xs:unique (libxml2: about a third of a KB each),
    # not the document (a tree would take several times the file's growth).
    assert validate_growth < extra * 1024 / 2**20, figures
    assert validate_growth < grown_mb * 2, figures


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The service's wheel, built from a copy of its sources (a build in place would leave
    build/ and egg-info behind) with the tools already installed: no network."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "exchange"
    source.mkdir()
    shutil.copy(SERVICE / "pyproject.toml", source)
    shutil.copytree(
        SERVICE / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
    )
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"),
            *("--no-index", "-q", "-w", str(work / "dist"), str(source)),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = (work / "dist").glob("fieldline_exchange-*.whl")
    return built


def test_the_schemas_ship_in_the_wheel(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        for xsd in XSDS:
            assert archive.read(xsd) == (SERVICE / "src" / xsd).read_bytes(), xsd


def test_an_installed_copy_finds_its_schema(wheel: Path, tmp_path: Path) -> None:
    installed = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(installed)  # a pure-Python wheel: unpacking is installing
    script = textwrap.dedent(
        """
        import json, sys
        from datetime import UTC, datetime
        from decimal import Decimal
        from fieldline_exchange.adapters import own_format
        from fieldline_exchange.domain.own_records import CreditLimit

        out = sys.argv[1]
        own_format.write([CreditLimit("C-1", Decimal("10.00"), "RUB")], out,
                         partner="erp-main", created=datetime.now(UTC))
        print(json.dumps({"module": own_format.__file__,
                          "schema": str(own_format.schema_path("fieldline-exchange-1.1.xsd")),
                          "refusal": own_format.validate(out) is not None,
                          "records": len(list(own_format.read(out)))}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "limits.xml")],
        env={"PYTHONPATH": str(installed), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    found = json.loads(done.stdout)
    assert found["module"].startswith(str(installed))
    assert found["schema"] == str(installed / XSD)
    assert (found["refusal"], found["records"]) == (False, 1)
