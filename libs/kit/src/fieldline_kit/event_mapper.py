"""Domain events → published integration events: one mapper class per service.

    class ClientsEvents(EventMapper):
        subject_prefix = "clients.events.v1"

        @maps(events.ClientCreated)
        def client_created(self, e: events.ClientCreated) -> IntegrationEvent:
            return self.event("client", e.client.id, e.client.version, ev.ClientCreated(...))

A method marked `@maps(DomainEvent)` turns that event into one integration event, or into an
iterable of them; the subject is `<subject_prefix>.<proto message name>`. The table of
mappers is built when the class is defined (no registration by import side effects), and an
instance carries what mapping needs besides the event (settlements' currency). The unit of
work calls the instance for each event an aggregate recorded; an event without a mapper is a
programming error and raises TypeError.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from google.protobuf.message import Message

from fieldline_kit.uow import IntegrationEvent

F = TypeVar("F", bound=Callable[..., Any])

_MAPS = "__fieldline_maps__"


def maps(*event_types: type) -> Callable[[F], F]:
    """Mark a method of an `EventMapper` as the mapper of these domain event types."""

    def mark(fn: F) -> F:
        setattr(fn, _MAPS, event_types)
        return fn

    return mark


class EventMapper:
    subject_prefix: ClassVar[str]
    # domain event type → name of the method mapping it (built per subclass).
    _table: ClassVar[dict[type, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table = dict(cls._table)
        for name, member in vars(cls).items():
            for event_type in getattr(member, _MAPS, ()):
                table[event_type] = name
        cls._table = table

    def __call__(self, event: object) -> Iterable[IntegrationEvent]:
        name = self._table.get(type(event))
        if name is None:
            raise TypeError(
                f"{type(self).__name__}: no integration event for {type(event).__name__}"
            )
        mapped = getattr(self, name)(event)
        return (mapped,) if isinstance(mapped, IntegrationEvent) else mapped

    def event(
        self, aggregate_type: str, aggregate_id: str, version: int, message: Message
    ) -> IntegrationEvent:
        """The integration event `message` about aggregate (type, id, version)."""
        return IntegrationEvent(
            f"{self.subject_prefix}.{message.DESCRIPTOR.name}",
            message,
            aggregate_type,
            aggregate_id,
            version,
        )

    @classmethod
    def mapped_types(cls) -> frozenset[type]:
        """The domain event types this mapper maps (tests check every event has one)."""
        return frozenset(cls._table)
