"""The file a bulk load reads: length-delimited `Any` messages, read back as written."""

from __future__ import annotations

import io

import pytest

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline_kit.bulk import BulkLoadError, message_blocks, read_messages, write_messages
from fieldline_kit.testing.helpers import new_id

TYPES = {
    cls.DESCRIPTOR.full_name: cls
    for cls in (ts.CreateTerritoryRequest, cs.CreateOutletRequest, cs.CreateClientRequest)
}


def _file(*requests: object) -> io.BytesIO:
    out = io.BytesIO()
    write_messages(out, requests)  # type: ignore[arg-type]
    out.seek(0)
    return out


def test_requests_come_back_in_order_across_reads() -> None:
    requests = [
        ts.CreateTerritoryRequest(territory=pb.Territory(id=new_id(), name="Москва")),
        *(
            cs.CreateOutletRequest(outlet=pb.Outlet(id=new_id(), card=pb.OutletCard(name="x" * n)))
            for n in range(1, 300)
        ),
    ]
    assert list(read_messages(_file(*requests), TYPES, chunk=64)) == requests
    assert list(read_messages(_file(), TYPES)) == []


def test_a_cut_file_is_refused() -> None:
    whole = _file(cs.CreateClientRequest(client=pb.Client(id=new_id(), name="ООО «Ромашка»")))
    for cut in (1, 3):
        with pytest.raises(BulkLoadError, match="ends inside a message"):
            list(read_messages(io.BytesIO(whole.getvalue()[:-cut]), TYPES))


def test_only_the_message_types_of_the_load_are_taken() -> None:
    not_a_request = _file(pb.Client(id=new_id()))
    with pytest.raises(BulkLoadError, match=r"does not take fieldline\.clients\.v1\.Client "):
        list(read_messages(not_a_request, TYPES))


def test_blocks_for_a_pipe_hold_the_same_records() -> None:
    requests = [cs.CreateClientRequest(client=pb.Client(id=new_id())) for _ in range(50)]
    blocks = list(message_blocks(requests, size=256))
    assert len(blocks) > 1
    assert b"".join(blocks) == _file(*requests).getvalue()
