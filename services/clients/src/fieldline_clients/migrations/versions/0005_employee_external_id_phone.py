"""the ERP's id and the phone of an employee (UpsertEmployees, for the exchange)

`employees.external_id`: the id the ERP knows the employee by; '' for every employee made in
Fieldline (all of them before this revision). `ux_employees_external_id`: one employee per
non-empty external id (a partial unique index, as `ux_clients_external_id`).
`employees.phone`: E.164, '' when not known (every employee before this revision).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-14 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

NOT_EMPTY = sa.text("external_id != ''")


def upgrade() -> None:
    op.add_column(
        "employees", sa.Column("external_id", sa.String(64), nullable=False, server_default="")
    )
    op.add_column("employees", sa.Column("phone", sa.String(16), nullable=False, server_default=""))
    with op.batch_alter_table("employees") as batch:
        batch.create_index(
            "ux_employees_external_id",
            ["external_id"],
            unique=True,
            postgresql_where=NOT_EMPTY,
            sqlite_where=NOT_EMPTY,
        )


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN on SQLite too (3.35+), not a batch's copy of the table: routes
    # and their periods refer to employees, so the copy's DROP TABLE would break their keys.
    op.drop_index("ux_employees_external_id", table_name="employees")
    op.drop_column("employees", "phone")
    op.drop_column("employees", "external_id")
