"""the ERP's id of a client (UpsertClients, for the exchange)

`clients.external_id`: the id the ERP knows the counterparty by; '' for every client made in
Fieldline (all of them before this revision). `ux_clients_external_id`: one client per
non-empty external id (a partial unique index: the '' of Fieldline's own clients repeat).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

NOT_EMPTY = sa.text("external_id != ''")


def upgrade() -> None:
    op.add_column(
        "clients", sa.Column("external_id", sa.String(64), nullable=False, server_default="")
    )
    with op.batch_alter_table("clients") as batch:
        batch.create_index(
            "ux_clients_external_id",
            ["external_id"],
            unique=True,
            postgresql_where=NOT_EMPTY,
            sqlite_where=NOT_EMPTY,
        )


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_index("ux_clients_external_id")
        batch.drop_column("external_id")
