"""Fieldline's own exchange format (docs/exchange/own-format.md): what CommerceML does not
cover (invoices and debts, payment registries, tare balances and tare documents, credit limits
and the debt policy, employees and route assignments), in versioned XSDs under
`fieldline_exchange/schemas` (1.0; 1.1 adds tare documents and the teleseller role).

* `validate(path)`: None, or the `Refusal` (code, message, line, the first errors);
* `read(path)`: the records, after validation (`Refused` otherwise); `read_header(path)`;
* `write(records, out, partner=, created=, version=)`: a valid file, which reads back equal
  (`minor_needed(record)`: the oldest minor that carries a record);
* `published_schemas()`, `schema_path(name)`: the schemas served at `/v1/schemas/{name}`.
"""

from fieldline_exchange.adapters.own_format._catalog import (
    NAMESPACE,
    PUBLISHED,
    VERSION,
    PublishedSchema,
    UnknownSchema,
    published_schemas,
    schema_for,
    schema_path,
)
from fieldline_exchange.adapters.own_format._reader import read, read_header
from fieldline_exchange.adapters.own_format._refusal import LineError, Refusal, RefusalCode, Refused
from fieldline_exchange.adapters.own_format._sections import minor_needed
from fieldline_exchange.adapters.own_format._validate import MAX_ERRORS, validate
from fieldline_exchange.adapters.own_format._writer import write

__all__ = [
    "MAX_ERRORS",
    "NAMESPACE",
    "PUBLISHED",
    "VERSION",
    "LineError",
    "PublishedSchema",
    "Refusal",
    "RefusalCode",
    "Refused",
    "UnknownSchema",
    "minor_needed",
    "published_schemas",
    "read",
    "read_header",
    "schema_for",
    "schema_path",
    "validate",
    "write",
]
