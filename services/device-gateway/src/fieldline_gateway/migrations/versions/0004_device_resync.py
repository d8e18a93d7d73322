"""telesellers' devices sync in full once: `devices.resync_below`, each device's own horizon

Until orders admitted TELESELLER to its reads (issue 15, increment 8), a teleseller's bundle
left out orders' sections (prices, terms, orders, recommended orders, contact figures). A
cursor does not record what was withheld from it, so a teleseller's device holding one would
only ever get those sections' later changes. Every device of an employee holding TELESELLER
gets `resync_below` = the largest BIGINT: its next sync, whatever its cursor, is a full answer
(reset, `access-changed`); the first page of that answer lowers the mark to the answer's high,
so the cursor it ends with (and every later one) is served deltas again. The mark is set here
rather than at the store's seq of now: replicas of the previous release keep serving (and
withholding) until they are replaced, and a cursor they make after this migration must not
pass. Other devices: NULL (no mark).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# Above every seq a cursor can name (at most 18 digits).
EVERY_CURSOR = 2**63 - 1


def upgrade() -> None:
    op.add_column("devices", sa.Column("resync_below", sa.BigInteger(), nullable=True))
    # Roles are stored sorted and joined by commas (fieldline_kit.auth.directory_table).
    op.execute(
        sa.text(
            "UPDATE devices SET resync_below = :every WHERE employee_id IN ("
            "SELECT employee_id FROM gateway_employees "
            "WHERE ',' || roles || ',' LIKE '%,TELESELLER,%')"
        ).bindparams(every=EVERY_CURSOR)
    )


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("resync_below")
