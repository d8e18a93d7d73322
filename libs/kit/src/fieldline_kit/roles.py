"""The role names tokens carry: employees' roles as the clients context names them (its
`Role` enum without the `ROLE_` prefix), and SERVICE for a Fieldline service or an internal
system. Standard library only, so domain packages may import it.
"""

from __future__ import annotations

AGENT = "AGENT"
VAN_SELLER = "VAN_SELLER"
MERCHANDISER = "MERCHANDISER"
DISTRIBUTOR_MANAGER = "DISTRIBUTOR_MANAGER"
SUPERVISOR = "SUPERVISOR"
TECHNICIAN = "TECHNICIAN"
TELESELLER = "TELESELLER"  # takes orders by phone: works routes of kind PHONE (call lists)
ADMIN = "ADMIN"
SERVICE = "SERVICE"  # a Fieldline service or an internal system (the ERP exchange)

EMPLOYEE_ROLES = frozenset(
    {
        AGENT,
        VAN_SELLER,
        MERCHANDISER,
        DISTRIBUTOR_MANAGER,
        SUPERVISOR,
        TECHNICIAN,
        TELESELLER,
        ADMIN,
    }
)
