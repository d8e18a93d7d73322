"""the device gateway's tables: devices and tokens, the sync store, receipts, photos, refetch jobs

Revision ID: 0001
Revises:
Create Date: 2026-12-07 02:31:43.747381
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('activation_codes',
    sa.Column('code_digest', sa.String(length=64), nullable=False),
    sa.Column('employee_id', sa.String(length=64), nullable=False),
    sa.Column('issued_by', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('request_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('code_digest', name=op.f('pk_activation_codes'))
    )
    op.create_table('dead_letter',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('consumer', sa.String(length=100), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('deliveries', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dead_letter'))
    )
    op.create_table('device_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_events'))
    )
    with op.batch_alter_table('device_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_events_device_id'), ['device_id'], unique=False)

    op.create_table('devices',
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('employee_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('revoked_reason', sa.String(length=32), nullable=True),
    sa.Column('revoked_by', sa.String(length=64), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('os_version', sa.String(length=32), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('installation_id', sa.String(length=64), nullable=False),
    sa.Column('app_version', sa.String(length=32), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activation_request_id', sa.String(length=36), nullable=False),
    sa.Column('activation_code', sa.String(length=64), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_sync_mode', sa.String(length=8), nullable=True),
    sa.Column('last_upload_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_devices'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_employee_id'), ['employee_id'], unique=False)
        batch_op.create_index('ix_devices_revoked_at', ['revoked_at'], unique=False)

    op.create_table('fanout_clock',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('epoch', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('horizon', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fanout_clock'))
    )
    op.create_table('fanout_heads',
    sa.Column('scope', sa.String(length=100), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_fanout_heads'))
    )
    op.create_table('fanout_members',
    sa.Column('agent_id', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=100), nullable=False),
    sa.Column('added_seq', sa.BigInteger(), nullable=False),
    sa.Column('removed_seq', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('agent_id', 'scope', 'added_seq', name=op.f('pk_fanout_members'))
    )
    with op.batch_alter_table('fanout_members', schema=None) as batch_op:
        batch_op.create_index('ix_fanout_members_agent_added', ['agent_id', 'added_seq'], unique=False)
        batch_op.create_index('ix_fanout_members_agent_removed', ['agent_id', 'removed_seq'], unique=False)
        batch_op.create_index('ix_fanout_members_scope_open', ['scope', 'agent_id'], unique=False, postgresql_where=sa.text('removed_seq IS NULL'), sqlite_where=sa.text('removed_seq IS NULL'))

    op.create_table('fanout_objects',
    sa.Column('section', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('scope', sa.String(length=100), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('source_version', sa.BigInteger(), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('section', 'key', name=op.f('pk_fanout_objects'))
    )
    with op.batch_alter_table('fanout_objects', schema=None) as batch_op:
        batch_op.create_index('ix_fanout_objects_scope_seq', ['scope', 'seq'], unique=False)
        batch_op.create_index('ix_fanout_objects_seq', ['seq'], unique=False)

    op.create_table('gateway_employees',
    sa.Column('employee_id', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('roles', sa.String(length=200), nullable=False),
    sa.Column('supervisor_id', sa.String(length=64), nullable=False),
    sa.Column('territory_id', sa.String(length=64), nullable=False),
    sa.Column('distributor_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('employee_id', name=op.f('pk_gateway_employees'))
    )
    with op.batch_alter_table('gateway_employees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gateway_employees_supervisor_id'), ['supervisor_id'], unique=False)

    op.create_table('graph_assignments',
    sa.Column('route_id', sa.String(length=64), nullable=False),
    sa.Column('outlet_id', sa.String(length=64), nullable=False),
    sa.Column('removed', sa.Boolean(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('route_id', 'outlet_id', name=op.f('pk_graph_assignments'))
    )
    with op.batch_alter_table('graph_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_graph_assignments_outlet_id', ['outlet_id'], unique=False)

    op.create_table('graph_clients',
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('price_type_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_graph_clients'))
    )
    with op.batch_alter_table('graph_clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_graph_clients_price_type_id'), ['price_type_id'], unique=False)

    op.create_table('graph_outlets',
    sa.Column('outlet_id', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('proposed_by', sa.String(length=64), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('outlet_id', name=op.f('pk_graph_outlets'))
    )
    with op.batch_alter_table('graph_outlets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_graph_outlets_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_graph_outlets_proposed_by'), ['proposed_by'], unique=False)

    op.create_table('graph_routes',
    sa.Column('route_id', sa.String(length=64), nullable=False),
    sa.Column('agent_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('route_id', name=op.f('pk_graph_routes'))
    )
    with op.batch_alter_table('graph_routes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_graph_routes_agent_id'), ['agent_id'], unique=False)

    op.create_table('graph_vans',
    sa.Column('van_id', sa.String(length=64), nullable=False),
    sa.Column('seller_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('van_id', name=op.f('pk_graph_vans'))
    )
    with op.batch_alter_table('graph_vans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_graph_vans_seller_id'), ['seller_id'], unique=False)

    op.create_table('idempotency',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('response', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_idempotency'))
    )
    op.create_table('inbox',
    sa.Column('consumer', sa.String(length=100), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'event_id', name=op.f('pk_inbox'))
    )
    op.create_table('job_leases',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_leases'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('aggregate_type', sa.String(length=60), nullable=False),
    sa.Column('aggregate_id', sa.String(length=64), nullable=False),
    sa.Column('aggregate_version', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_event_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_unpublished', ['id'], unique=False, postgresql_where=sa.text('published_at IS NULL'), sqlite_where=sa.text('published_at IS NULL'))

    op.create_table('photos',
    sa.Column('photo_id', sa.String(length=36), nullable=False),
    sa.Column('employee_id', sa.String(length=64), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('document_id', sa.String(length=64), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('captured_utc_offset_s', sa.Integer(), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('photo_id', name=op.f('pk_photos'))
    )
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.create_index('ix_photos_document_id', ['document_id'], unique=False)
        batch_op.create_index('ix_photos_sha256', ['sha256'], unique=False)
        batch_op.create_index('ix_photos_status_created_at', ['status', 'created_at'], unique=False)

    op.create_table('refetch_jobs',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('generation', sa.BigInteger(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('leased_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_refetch_jobs'))
    )
    with op.batch_alter_table('refetch_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refetch_jobs_due_at'), ['due_at'], unique=False)

    op.create_table('refresh_tokens',
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('family_id', sa.String(length=36), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('successor_digest', sa.String(length=64), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token_digest', name=op.f('pk_refresh_tokens'))
    )
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refresh_tokens_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refresh_tokens_family_id'), ['family_id'], unique=False)

    op.create_table('upload_receipts',
    sa.Column('employee_id', sa.String(length=64), nullable=False),
    sa.Column('document_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('answer', sa.LargeBinary(), nullable=True),
    sa.Column('creates', sa.String(length=64), nullable=True),
    sa.Column('photo_ids', sa.Text(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim_id', sa.String(length=36), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('employee_id', 'document_id', name=op.f('pk_upload_receipts'))
    )
    with op.batch_alter_table('upload_receipts', schema=None) as batch_op:
        batch_op.create_index('ix_upload_receipts_creates', ['employee_id', 'creates'], unique=False)
        batch_op.create_index('ix_upload_receipts_received_at', ['received_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('upload_receipts', schema=None) as batch_op:
        batch_op.drop_index('ix_upload_receipts_received_at')
        batch_op.drop_index('ix_upload_receipts_creates')

    op.drop_table('upload_receipts')
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refresh_tokens_family_id'))
        batch_op.drop_index(batch_op.f('ix_refresh_tokens_device_id'))

    op.drop_table('refresh_tokens')
    with op.batch_alter_table('refetch_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refetch_jobs_due_at'))

    op.drop_table('refetch_jobs')
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_index('ix_photos_status_created_at')
        batch_op.drop_index('ix_photos_sha256')
        batch_op.drop_index('ix_photos_document_id')

    op.drop_table('photos')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_unpublished', postgresql_where=sa.text('published_at IS NULL'), sqlite_where=sa.text('published_at IS NULL'))

    op.drop_table('outbox')
    op.drop_table('job_leases')
    op.drop_table('inbox')
    op.drop_table('idempotency')
    with op.batch_alter_table('graph_vans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_graph_vans_seller_id'))

    op.drop_table('graph_vans')
    with op.batch_alter_table('graph_routes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_graph_routes_agent_id'))

    op.drop_table('graph_routes')
    with op.batch_alter_table('graph_outlets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_graph_outlets_proposed_by'))
        batch_op.drop_index(batch_op.f('ix_graph_outlets_client_id'))

    op.drop_table('graph_outlets')
    with op.batch_alter_table('graph_clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_graph_clients_price_type_id'))

    op.drop_table('graph_clients')
    with op.batch_alter_table('graph_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_graph_assignments_outlet_id')

    op.drop_table('graph_assignments')
    with op.batch_alter_table('gateway_employees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gateway_employees_supervisor_id'))

    op.drop_table('gateway_employees')
    with op.batch_alter_table('fanout_objects', schema=None) as batch_op:
        batch_op.drop_index('ix_fanout_objects_seq')
        batch_op.drop_index('ix_fanout_objects_scope_seq')

    op.drop_table('fanout_objects')
    with op.batch_alter_table('fanout_members', schema=None) as batch_op:
        batch_op.drop_index('ix_fanout_members_scope_open', postgresql_where=sa.text('removed_seq IS NULL'), sqlite_where=sa.text('removed_seq IS NULL'))
        batch_op.drop_index('ix_fanout_members_agent_removed')
        batch_op.drop_index('ix_fanout_members_agent_added')

    op.drop_table('fanout_members')
    op.drop_table('fanout_heads')
    op.drop_table('fanout_clock')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index('ix_devices_revoked_at')
        batch_op.drop_index(batch_op.f('ix_devices_employee_id'))

    op.drop_table('devices')
    with op.batch_alter_table('device_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_events_device_id'))

    op.drop_table('device_events')
    op.drop_table('dead_letter')
    op.drop_table('activation_codes')
