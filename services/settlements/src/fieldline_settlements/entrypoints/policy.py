"""Who may call which settlements RPC: one rule per RPC (docs/contexts/settlements.md).

* reads of a client (GetBalance, GetStatement, ListInvoices, ListPayments, GetTareBalance,
  ListTareMovements, GetDebtPolicy, GetCreditStanding):
  the staff who sell or collect (AGENT, VAN_SELLER, TELESELLER: its call lists' clients),
  SUPERVISOR, ADMIN, SERVICE — scope: route (not DISTRIBUTOR_MANAGER: settlements has no
  model of a distributor's clients yet, so it has no scope to read in);
* GetAgingReport (clients' overdue debt): SUPERVISOR (its team's clients), ADMIN, SERVICE —
  territory;
* RecordPayment: who collects cash (AGENT, VAN_SELLER; their own cash collections only),
  ADMIN (bank payments, or for someone), SERVICE (bank feeds) — route, audited (not
  TELESELLER: a phone order's money is collected in the field or by the bank);
* RecordCashHandover: who receives the cash (SUPERVISOR for its team, ADMIN, SERVICE: a
  cashier's system) — team / company, audited;
* GetCashOnHand, ListCashHandovers: who holds cash (AGENT, VAN_SELLER: their own),
  SUPERVISOR (its own and its team's), ADMIN, SERVICE — own / team (not TELESELLER: it
  holds none);
* RecordInvoice: ADMIN, SERVICE (the ERP) — company, audited;
* SetCreditLimit, SetDebtPolicy, SetContainerDeposit, RecordTareCounts, RecordTareDocuments:
  ADMIN, SERVICE (ERP feeds) — company, audited;
* CheckCredit, ReleaseCredit: who places orders (AGENT, VAN_SELLER, TELESELLER — a phone
  order goes through the debt policy with its token —, SUPERVISOR, ADMIN), whose token the
  orders service forwards, and SERVICE — route;
* CheckCreditBatch (many users' checks in one call): SERVICE (the orders service) — company;
* ListBalances, ListTareBalances, ListCreditStandings (every client's, for bulk readers such
  as the device gateway's build): ADMIN, SERVICE — company.

The kit's interceptor checks the roles (an employee's as the clients feed's directory last
reported them); the scopes are enforced by the servicer and the use cases against the clients
a request names (domain/access.py: an agent, van seller or teleseller the clients on its
routes (a teleseller's: its PHONE routes, which the clients feed carries as any route), a
supervisor those of its team's routes too, ADMIN and SERVICE the company's; reads outside
NOT_FOUND, lists narrowed, writes PERMISSION_DENIED; cash: by employee, `Staff`); an audited
RPC records who made the change (the token's subject). CheckCreditBatch is company-wide: the
orders service has checked the route scope of each order before it asks.
"""

from __future__ import annotations

from fieldline_kit.auth import Rule, Scope
from fieldline_kit.roles import ADMIN, AGENT, SERVICE, SUPERVISOR, TELESELLER, VAN_SELLER

READERS = {AGENT, VAN_SELLER, TELESELLER, SUPERVISOR, ADMIN, SERVICE}
COLLECTORS = {AGENT, VAN_SELLER, ADMIN, SERVICE}
SELLERS = {AGENT, VAN_SELLER, TELESELLER, SUPERVISOR, ADMIN, SERVICE}
MANAGERS = {ADMIN, SERVICE}
CASH_READERS = {AGENT, VAN_SELLER, SUPERVISOR, ADMIN, SERVICE}
CASH_RECEIVERS = {SUPERVISOR, ADMIN, SERVICE}
# Who may record a payment collected by someone else (the others record their own).
RECORD_FOR_OTHERS = frozenset({ADMIN, SERVICE})

POLICY = {
    "GetBalance": Rule(READERS, scope=Scope.ROUTE),
    "GetStatement": Rule(READERS, scope=Scope.ROUTE),
    "ListInvoices": Rule(READERS, scope=Scope.ROUTE),
    "ListPayments": Rule(READERS, scope=Scope.ROUTE),
    "ListTareMovements": Rule(READERS, scope=Scope.ROUTE),
    "GetTareBalance": Rule(READERS, scope=Scope.ROUTE),
    "GetDebtPolicy": Rule(READERS, scope=Scope.ROUTE),
    "GetAgingReport": Rule({SUPERVISOR, ADMIN, SERVICE}, scope=Scope.TERRITORY),
    "RecordPayment": Rule(COLLECTORS, scope=Scope.ROUTE, audit=True),
    "RecordInvoice": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "SetCreditLimit": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "SetDebtPolicy": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "SetContainerDeposit": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "RecordTareCounts": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "RecordTareDocuments": Rule(MANAGERS, scope=Scope.COMPANY, audit=True),
    "CheckCredit": Rule(SELLERS, scope=Scope.ROUTE),
    "ReleaseCredit": Rule(SELLERS, scope=Scope.ROUTE),
    "CheckCreditBatch": Rule({SERVICE}, scope=Scope.COMPANY),
    "GetCreditStanding": Rule(READERS, scope=Scope.ROUTE),
    "ListBalances": Rule(MANAGERS, scope=Scope.COMPANY),
    "ListTareBalances": Rule(MANAGERS, scope=Scope.COMPANY),
    "ListCreditStandings": Rule(MANAGERS, scope=Scope.COMPANY),
    "RecordCashHandover": Rule(CASH_RECEIVERS, scope=Scope.TERRITORY, audit=True),
    "GetCashOnHand": Rule(CASH_READERS, scope=Scope.OWN),
    "ListCashHandovers": Rule(CASH_READERS, scope=Scope.OWN),
}
