"""Demo data: a deterministic, realistic Russian FMCG distribution company.

One distributor (the company whose sales force this is), retail clients (mostly organisations
with a 10-digit INN and a KPP, some individual entrepreneurs with a 12-digit INN), key-account
chains, territories (regions → cities), employees with Russian full names (agents, a few van
sellers, merchandisers, supervisors, a distributor manager, technicians), outlets with
Cyrillic names, addresses and coordinates clustered around real city centres, one route per
agent with weekly / every-2-weeks / every-4-weeks assignments, and merchandising questionnaires.

Everything follows from `(sizes, seed, start_date)`: ids are uuid5 of the seed and the entity's
position, random choices come from `random.Random` instances seeded with strings (stable across
processes and Python hash seeds). One agent, the *bench agent* (`bench_agent_id(seed)`), has
exactly `sizes.bench_outlets` (300) outlets on its route, every one due on `BENCH_WEEKDAY`, so a
benchmark can ask for a 300-outlet visit plan (`DemoCompany.bench_date`).

The company is generated as the public contract's messages (fieldline.clients.v1), and
`DemoCompany.requests()` turns it into the requests that create it, each after those it refers
to. Two loaders send those same requests:

* `load_via_grpc(target, sizes, seed)` goes through the public API (TerritoryService,
  ClientsService, VisitsService) with ~16 requests in flight. Every request carries a
  request_id derived from its content, so a second run with the same seed is answered from the
  idempotency records and changes nothing. `./fl up --demo` uses it for the default demo
  company (`DEMO_SIZES`: 50 agents, 5,000 outlets).
* `load_bulk(database_url, sizes, seed)` streams the requests into the clients service's own
  bulk path (`python -m fieldline_clients bulk-load`), for benchmark-size companies
  (`BENCH_SIZES`: 2,000 agents, 300,000 outlets) that would take far too long one RPC at a
  time. The service builds the aggregates its use cases would and writes their rows in large
  chunks into a freshly migrated, empty database, deliberately BYPASSING THE OUTBOX: nobody has
  subscribed to that database yet, so no integration events are produced (and no idempotency
  records). It refuses a database that already holds data.

CLI::

    python -m fieldline_dev.demo grpc --target 127.0.0.1:50051 [--agents 50 --outlets 5000 --seed 1]
    python -m fieldline_dev.demo bulk --database-url sqlite:///clients.sqlite3 [--migrate] \
        [--agents 2000 --outlets 300000 --seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from google.type import latlng_pb2

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import clients_service_pb2_grpc as cs_grpc
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline.clients.v1 import territory_service_pb2_grpc as ts_grpc
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline.clients.v1 import visits_service_pb2_grpc as vs_grpc
from fieldline_dev.paths import RUN_DIR
from fieldline_dev.tokens import ADMIN, local_issuer
from fieldline_kit.auth.forward import BearerToken
from fieldline_kit.auth.principal import Kind
from fieldline_kit.bulk import message_blocks
from fieldline_kit.grpc.convert import pb_date

T = TypeVar("T")

BENCH_OUTLETS = 300
BENCH_WEEKDAY = 3  # ISO weekday (Wednesday) on which every bench-agent outlet is due
# Monday from which start dates are counted in 4-week steps (see `recent_monday`).
EPOCH_MONDAY = date(2024, 1, 1)


# ---------------------------------------------------------------------------------- sizes
@dataclass(frozen=True)
class Sizes:
    """How big the company is. Everything else (supervisors, clients …) is derived."""

    agents: int = 50
    outlets: int = 5000
    # Outlets on the bench agent's route (all due on BENCH_WEEKDAY).
    bench_outlets: int = BENCH_OUTLETS

    def __post_init__(self) -> None:
        if self.agents < 2:
            raise ValueError("agents must be at least 2 (the bench agent and one more)")
        if self.bench_outlets < 1:
            raise ValueError("bench_outlets must be positive")
        if self.outlets < self.bench_outlets + self.agents - 1:
            raise ValueError(
                f"{self.outlets} outlets cannot give the bench agent {self.bench_outlets} "
                f"and each of the other {self.agents - 1} agents at least one; "
                "raise outlets or lower bench_outlets"
            )

    @property
    def outlets_per_other_agent(self) -> float:
        return (self.outlets - self.bench_outlets) / (self.agents - 1)


DEMO_SIZES = Sizes(agents=50, outlets=5000)
BENCH_SIZES = Sizes(agents=2000, outlets=300_000)


def recent_monday(today: date | None = None) -> date:
    """The latest Monday on a 4-week grid from EPOCH_MONDAY, at most 27 days before `today`.

    Start dates move only every 4 weeks, and by whole 4-week cycles, so a re-run weeks later
    keeps every weekly / 2-weekly / 4-weekly outlet due on exactly the same days.
    """
    today = today or datetime.now(UTC).date()
    cycles = (today - EPOCH_MONDAY).days // 28
    return EPOCH_MONDAY + timedelta(days=28 * cycles)


# --------------------------------------------------------------------------- vocabularies
@dataclass(frozen=True)
class City:
    key: str
    name: str
    region: str
    lat: float
    lon: float
    weight: int  # share of the sales force working here
    spread_km: float  # how far agents' areas lie from the centre
    tax_region: str  # first two digits of local INNs / KPPs
    postal: str  # leading digits of local postcodes
    streets: tuple[str, ...]
    # Share of Tatar / Bashkir names among local people.
    tatar_names: float = 0.0


_COMMON_STREETS = (
    "ул. Ленина", "ул. Советская", "пр-т Мира", "ул. Гагарина", "ул. Пушкина", "ул. Кирова",
    "ул. Садовая", "ул. Молодёжная", "ул. Школьная", "ул. Лесная", "ул. Набережная",
    "ул. Заводская", "ул. Октябрьская", "ул. Комсомольская", "ул. Первомайская",
    "ул. Строителей", "ул. Победы", "ул. Чехова", "ул. Лермонтова", "ул. Маяковского",
    "ул. Горького", "ул. Чкалова", "ул. Южная", "ул. Северная", "ул. Новая", "ул. Полевая",
    "ул. Рабочая", "ул. Мичурина", "ул. Свердлова", "ул. Есенина", "ул. Белинского",
    "ул. Гоголя", "ул. Куйбышева", "ул. Фрунзе", "ул. Энергетиков", "ул. Космонавтов",
)  # fmt: skip

CITIES: tuple[City, ...] = (
    City("moscow", "Москва", "Москва и Московская область", 55.7558, 37.6173, 28, 9.0, "77", "1",
         ("Тверская ул.", "ул. Арбат", "Профсоюзная ул.", "Ленинский пр-т", "ул. Большая Ордынка",
          "Щёлковское ш.", "ул. Маросейка", "Кутузовский пр-т", "Варшавское ш.",
          "ул. Люблинская", "Дмитровское ш.", "ул. Новый Арбат", "ул. Бутырская",
          "Каширское ш.", "ул. Вавилова", "ул. Покровка")),
    City("khimki", "Химки", "Москва и Московская область", 55.8887, 37.4304, 2, 3.0, "50", "1414",
         ("Ленинградское ш.", "ул. Московская", "пр-т Юбилейный")),
    City("podolsk", "Подольск", "Москва и Московская область", 55.4242, 37.5547, 2, 3.0, "50",
         "1421", ("ул. Большая Серпуховская", "Революционный пр-т", "ул. Кирова")),
    City("spb", "Санкт-Петербург", "Санкт-Петербург и Ленинградская область", 59.9386, 30.3141,
         13, 7.0, "78", "19",
         ("Невский пр-т", "Литейный пр-т", "Садовая ул.", "Московский пр-т", "ул. Марата",
          "Гражданский пр-т", "Лиговский пр-т", "Большой пр-т В.О.", "ул. Савушкина",
          "пр-т Просвещения")),
    City("kazan", "Казань", "Республика Татарстан", 55.7887, 49.1221, 5, 5.0, "16", "420",
         ("ул. Баумана", "пр-т Победы", "ул. Чистопольская", "ул. Кремлёвская",
          "пр-т Ямашева", "ул. Декабристов"), tatar_names=0.45),
    City("chelny", "Набережные Челны", "Республика Татарстан", 55.7436, 52.3958, 2, 3.5, "16",
         "4238", ("пр-т Мира", "пр-т Сююмбике", "пр-т Чулман"), tatar_names=0.45),
    City("ekb", "Екатеринбург", "Свердловская область", 56.8380, 60.5973, 6, 5.0, "66", "620",
         ("ул. Малышева", "ул. 8 Марта", "ул. Вайнера", "пр-т Ленина", "ул. Белинского",
          "ул. Шейнкмана")),
    City("nsk", "Новосибирск", "Новосибирская область", 55.0302, 82.9204, 6, 6.0, "54", "630",
         ("Красный пр-т", "ул. Богдана Хмельницкого", "ул. Станиславского", "ул. Ватутина",
          "Дуси Ковальчук ул.")),
    City("nnov", "Нижний Новгород", "Нижегородская область", 56.3287, 44.0020, 5, 5.0, "52",
         "603", ("ул. Большая Покровская", "ул. Рождественская", "пр-т Гагарина",
                 "Московское ш.", "ул. Белинского")),
    City("samara", "Самара", "Самарская область", 53.1959, 50.1002, 4, 5.0, "63", "443",
         ("ул. Ново-Садовая", "Московское ш.", "ул. Молодогвардейская", "ул. Галактионовская")),
    City("krasnodar", "Краснодар", "Краснодарский край", 45.0355, 38.9753, 4, 5.0, "23", "350",
         ("ул. Красная", "ул. Ставропольская", "ул. Московская", "ул. Уральская")),
    City("rostov", "Ростов-на-Дону", "Ростовская область", 47.2313, 39.7233, 4, 4.5, "61", "344",
         ("Большая Садовая ул.", "Будённовский пр-т", "Пушкинская ул.", "пр-т Стачки")),
    City("ufa", "Уфа", "Республика Башкортостан", 54.7351, 55.9587, 4, 5.0, "02", "450",
         ("пр-т Октября", "ул. Менделеева", "ул. Заки Валиди", "ул. Комсомольская"),
         tatar_names=0.35),
    City("perm", "Пермь", "Пермский край", 58.0105, 56.2502, 3, 5.0, "59", "614",
         ("Комсомольский пр-т", "ул. Сибирская", "ул. Петропавловская", "ш. Космонавтов")),
    City("voronezh", "Воронеж", "Воронежская область", 51.6606, 39.2006, 3, 4.0, "36", "394",
         ("пр-т Революции", "ул. Плехановская", "Московский пр-т", "ул. Кольцовская")),
)  # fmt: skip
MOSCOW = CITIES[0]
CITY_CENTRES: dict[str, tuple[float, float]] = {c.name: (c.lat, c.lon) for c in CITIES}

_MALE_FIRST = (
    "Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Максим", "Евгений", "Иван",
    "Михаил", "Артём", "Владимир", "Николай", "Роман", "Павел", "Денис", "Олег", "Игорь",
    "Константин", "Юрий", "Виктор", "Антон", "Илья", "Кирилл", "Вадим", "Егор", "Никита",
    "Руслан", "Станислав", "Георгий", "Григорий", "Василий", "Пётр",
)  # fmt: skip
_FEMALE_FIRST = (
    "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Анна", "Светлана", "Мария", "Екатерина",
    "Юлия", "Марина", "Анастасия", "Людмила", "Галина", "Надежда", "Валентина", "Оксана",
    "Виктория", "Ксения", "Дарья", "Алина", "Полина", "Евгения", "Вера", "Любовь", "Кристина",
)  # fmt: skip
_PATRONYMICS = (
    ("Александрович", "Александровна"), ("Сергеевич", "Сергеевна"),
    ("Дмитриевич", "Дмитриевна"), ("Андреевич", "Андреевна"), ("Алексеевич", "Алексеевна"),
    ("Евгеньевич", "Евгеньевна"), ("Иванович", "Ивановна"), ("Михайлович", "Михайловна"),
    ("Владимирович", "Владимировна"), ("Николаевич", "Николаевна"), ("Павлович", "Павловна"),
    ("Олегович", "Олеговна"), ("Игоревич", "Игоревна"), ("Юрьевич", "Юрьевна"),
    ("Викторович", "Викторовна"), ("Анатольевич", "Анатольевна"), ("Геннадьевич", "Геннадьевна"),
    ("Валерьевич", "Валерьевна"), ("Борисович", "Борисовна"), ("Петрович", "Петровна"),
    ("Васильевич", "Васильевна"), ("Фёдорович", "Фёдоровна"), ("Григорьевич", "Григорьевна"),
    ("Константинович", "Константиновна"), ("Романович", "Романовна"), ("Ильич", "Ильинична"),
)  # fmt: skip
_SURNAMES = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв",
    "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв",
    "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев",
    "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев",
    "Герасимов", "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов", "Марков", "Миронов",
    "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов", "Гаврилов", "Тихонов",
    "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев", "Фомин", "Чернов", "Абрамов",
    "Мартынов", "Ефимов", "Щербаков", "Назаров", "Калинин", "Исаев", "Быков", "Маслов",
    "Родионов", "Коновалов", "Лазарев", "Воронин", "Климов", "Филатов", "Голубев",
    "Кудрявцев", "Прохоров", "Наумов", "Потапов", "Журавлёв", "Овчинников", "Трофимов",
    "Леонов", "Соболев", "Ермаков", "Колесников", "Гончаров", "Емельянов", "Никифоров",
    "Грачёв", "Котов", "Гришин", "Ефремов", "Архипов", "Громов", "Кириллов", "Малышев",
    "Панов", "Моисеев", "Румянцев", "Акимов", "Кондратьев", "Бирюков", "Горбунов",
    "Анисимов", "Ерёмин", "Тихомиров", "Галкин", "Лукьянов", "Скворцов", "Белоусов",
    "Нестеров", "Симонов", "Цветков", "Левин", "Логинов", "Горшков", "Савин", "Краснов",
    "Демидов", "Рыбаков", "Жданов", "Рябов", "Никольский", "Покровский", "Вознесенский",
    "Шевченко", "Бондаренко", "Ковальчук", "Кравченко", "Ткаченко", "Мельник",
)  # fmt: skip
_TATAR_MALE_FIRST = (
    "Айдар", "Ринат", "Рустам", "Ильдар", "Марат", "Тимур", "Азат", "Ренат", "Ильнур", "Радик",
    "Раиль", "Булат",
)  # fmt: skip
_TATAR_FEMALE_FIRST = (
    "Гульнара", "Алсу", "Лейсан", "Динара", "Эльвира", "Гузель", "Айгуль", "Резеда", "Лилия",
    "Альбина",
)  # fmt: skip
_TATAR_PATRONYMICS = (
    ("Рашидович", "Рашидовна"), ("Ринатович", "Ринатовна"), ("Маратович", "Маратовна"),
    ("Ильдарович", "Ильдаровна"), ("Рустамович", "Рустамовна"), ("Азатович", "Азатовна"),
    ("Фаридович", "Фаридовна"), ("Рифкатович", "Рифкатовна"), ("Наилевич", "Наилевна"),
)  # fmt: skip
_TATAR_SURNAMES = (
    "Хабибуллин", "Галиев", "Сафин", "Гарипов", "Валиев", "Зарипов", "Нуриев", "Мухаметшин",
    "Ахметов", "Шакиров", "Гайнуллин", "Хасанов", "Файзуллин", "Каримов", "Исмагилов",
    "Гильмутдинов", "Садыков", "Юсупов",
)  # fmt: skip

# Words for shop names (in «ёлочках»), local company names and chain brands.
_SHOP_WORDS = (
    "Ромашка", "Берёзка", "Солнышко", "Колосок", "Рябинка", "Теремок", "Изобилие", "Радуга",
    "Каприз", "Весна", "Удача", "Уют", "Лакомка", "Калинка", "Виктория", "Надежда", "Маяк",
    "Огонёк", "Светлана", "Ассорти", "Забота", "Мечта", "Фортуна", "Гурман", "Василёк",
    "Парус", "Волна", "Юбилейный", "Центральный", "Северный", "Южный", "Восход", "Родничок",
    "Домашний", "Хозяюшка", "Пчёлка", "Добрыня", "Купец", "Алёнка", "Подсолнух", "Ивушка",
    "Сказка", "Янтарь", "Оазис", "Престиж", "Гармония", "Ника", "Людмила", "Татьяна", "Лада",
    "Дубрава", "Сударушка", "Вкусняшка", "Магнолия", "Кристалл", "Рассвет", "Заря",
    "Околица", "Семейный", "Сосед", "Горница", "Клён", "Рябина", "Калина", "Спутник",
)  # fmt: skip
_COMPANY_SUFFIXES = ("Плюс", "Трейд", "Торг", "Сервис", "Маркет", "Групп", "М", "Продукт")


@dataclass(frozen=True)
class Chain:
    legal_name: str
    brand: str
    format: str
    weight: int
    name_prefix: str = ""  # e.g. "АЗС" → "АЗС НС-Ойл №12"


CHAINS: tuple[Chain, ...] = (
    Chain("ООО «Свежий день»", "Свежий день", "Минимаркет", 5),
    Chain("АО «Семейный маркет»", "Семейный маркет", "Супермаркет", 4),
    Chain("ООО «Продторг-Ритейл»", "Продторг", "Супермаркет", 3),
    Chain("ООО «Хлебный дом»", "Хлебный дом", "Магазин у дома", 2),
    Chain("ООО «Добрая лавка»", "Добрая лавка", "Магазин у дома", 3),
    Chain("АО «Колос-Трейд»", "Колос", "Супермаркет", 2),
    Chain("ООО «Вкусно рядом»", "Вкусно рядом", "Минимаркет", 3),
    Chain("ООО «Нефтьсервис-Ритейл»", "НС-Ойл", "Магазин АЗС", 2, "АЗС"),
)

DISTRIBUTOR_NAME = "ООО «Полюс-Дистрибуция»"

TRADITIONAL = "Традиционная розница"
MODERN = "Современная розница"
HORECA = "HoReCa"

# Working-hours patterns: (weekday range, opens, closes) rows.
_HOURS_PATTERNS: tuple[tuple[tuple[int, int, str, str], ...], ...] = (
    ((1, 7, "00:00", "24:00"),),
    ((1, 7, "08:00", "22:00"),),
    ((1, 7, "07:00", "23:00"),),
    ((1, 7, "09:00", "21:00"),),
    ((1, 5, "08:00", "21:00"), (6, 7, "09:00", "20:00")),
    ((1, 6, "09:00", "20:00"), (7, 7, "10:00", "18:00")),
)
_HORECA_HOURS: tuple[tuple[tuple[int, int, str, str], ...], ...] = (
    ((1, 4, "10:00", "23:00"), (5, 6, "10:00", "24:00"), (7, 7, "11:00", "23:00")),
    ((1, 5, "08:00", "17:00"),),
    ((1, 7, "08:00", "22:00"),),
    ((1, 7, "11:00", "23:00"),),
)


def _hours(pattern: tuple[tuple[int, int, str, str], ...]) -> tuple[pb.WorkingHours, ...]:
    return tuple(
        pb.WorkingHours(weekday=d, opens=o, closes=c)
        for first, last, o, c in pattern
        for d in range(first, last + 1)
    )


_HOURS = tuple(_hours(p) for p in _HOURS_PATTERNS)
_HORECA = tuple(_hours(p) for p in _HORECA_HOURS)
_CONTACT_ROLES = (
    "Директор",
    "Управляющий",
    "Товаровед",
    "Администратор",
    "Владелец",
    "Старший продавец",
)
_MAIL_DOMAINS = ("mail.ru", "yandex.ru", "gmail.com", "bk.ru", "list.ru", "inbox.ru")
_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
         "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"],
        strict=True,
    )
)  # fmt: skip


def _translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())


# ------------------------------------------------------------------------------- the plan
# Clients, employees, routes, territories and questionnaires are the contract's messages
# (pb.Client, pb.Employee …) as their create requests carry them.


@dataclass(frozen=True)
class OutletSpec:
    id: str
    client_id: str
    card: pb.OutletCard
    territory_id: str
    status: int  # pb.OUTLET_STATUS_ACTIVE or pb.OUTLET_STATUS_CLOSED
    assignment: pb.RouteAssignment | None


@dataclass(frozen=True)
class Block:
    """One agent's share of the company: its route, the outlets on it and their new clients."""

    agent_index: int
    route: pb.Route
    clients: list[pb.Client]
    outlets: list[OutletSpec]


@dataclass(frozen=True)
class _AgentSlot:
    index: int
    city: City
    first_outlet: int
    outlet_count: int


class _Ids:
    def __init__(self, seed: int) -> None:
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"https://fieldline.dev/demo/{seed}")

    def __call__(self, kind: str, key: object) -> str:
        return str(uuid.uuid5(self.namespace, f"{kind}/{key}"))


# `./fl token --login NAME`: who is who in the demo company (its employee key, its role), so a
# person at a terminal can call as the demo's agent, supervisor or administrator. The
# supervisor supervises the agent (both in Moscow); the van seller is agent 9 (every tenth).
DEMO_LOGINS: dict[str, tuple[str, str]] = {
    "demo-agent": ("agent/0", "AGENT"),
    "demo-van-seller": ("agent/9", "VAN_SELLER"),
    "demo-merchandiser": (f"merchandiser/{MOSCOW.key}/0", "MERCHANDISER"),
    "demo-supervisor": (f"supervisor/{MOSCOW.key}/0", "SUPERVISOR"),
    "demo-manager": ("distributor-manager", "DISTRIBUTOR_MANAGER"),
    "demo-technician": ("technician/0", "TECHNICIAN"),
    "demo-admin": ("admin", "ADMIN"),
}


def demo_login(name: str, seed: int = 1) -> tuple[str, str]:
    """The employee id and role of a demo login (KeyError naming the logins there are)."""
    try:
        key, role = DEMO_LOGINS[name]
    except KeyError:
        raise KeyError(f"no demo login {name!r}; there are {', '.join(DEMO_LOGINS)}") from None
    return _Ids(seed)("employee", key), role


def bench_agent_id(seed: int = 1) -> str:
    """Id of the agent with exactly `Sizes.bench_outlets` route outlets due on BENCH_WEEKDAY."""
    return _Ids(seed)("employee", "agent/0")


def bench_plan_date(start_date: date) -> date:
    """A day on which every bench-agent outlet is due (the BENCH_WEEKDAY of the start week)."""
    return start_date + timedelta(days=BENCH_WEEKDAY - start_date.isoweekday())


def _smooth_round_robin(weights: Sequence[int], count: int) -> list[int]:
    """`count` picks spread over `weights` proportionally and evenly (nginx's smooth WRR)."""
    total = sum(weights)
    current = [0] * len(weights)
    picks = []
    for _ in range(count):
        for i, w in enumerate(weights):
            current[i] += w
        best = max(range(len(weights)), key=lambda i: current[i])
        current[best] -= total
        picks.append(best)
    return picks


class DemoCompany:
    """The whole generated company. Small parts are lists; outlets come per agent (`blocks`)."""

    def __init__(self, sizes: Sizes, seed: int = 1, start_date: date | None = None) -> None:
        self.sizes = sizes
        self.seed = seed
        self.start_date = start_date or recent_monday()
        if self.start_date.isoweekday() != 1:
            raise ValueError(f"start_date must be a Monday, got {self.start_date}")
        self.bench_date = bench_plan_date(self.start_date)
        self.id = _Ids(seed)
        self.bench_agent_id = self.id("employee", "agent/0")

        self.regions: dict[str, pb.Territory] = {}
        self.cities: dict[str, pb.Territory] = {}
        for city in CITIES:
            if city.region not in self.regions:
                self.regions[city.region] = pb.Territory(
                    id=self.id("territory", city.region), name=city.region
                )
            parent = self.regions[city.region].id
            self.cities[city.key] = pb.Territory(
                id=self.id("territory", city.key), name=city.name, parent_id=parent
            )
        self.territories = (*self.regions.values(), *self.cities.values())

        rng = random.Random(f"{seed}/company")
        self._company_inns: set[str] = set()
        self.distributor = _client(
            self.id("client", "distributor"),
            DISTRIBUTOR_NAME,
            *self._org_inn_kpp(rng, MOSCOW, self._company_inns),
            pb.CLIENT_TYPE_DISTRIBUTOR,
            _legal_address(rng, MOSCOW, office=True),
        )
        self.chains = tuple(
            _client(
                self.id("client", f"chain/{k}"),
                chain.legal_name,
                *self._org_inn_kpp(rng, MOSCOW, self._company_inns),
                pb.CLIENT_TYPE_KEY_ACCOUNT,
                _legal_address(rng, MOSCOW, office=True),
            )
            for k, chain in enumerate(CHAINS)
        )
        self.slots = self._agent_slots()
        # Who makes the changes is the caller's token (no request names an actor).
        self.employees = self._employees(rng)[0]
        self.routes = tuple(self._route(slot) for slot in self.slots)
        self.questionnaires = _questionnaires(self.id)

    # -- structure ------------------------------------------------------------------------
    def _agent_slots(self) -> list[_AgentSlot]:
        n, bench = self.sizes.agents, self.sizes.bench_outlets
        # Agent 0 (the bench agent) gets the heaviest city first: Moscow.
        cities = [CITIES[i] for i in _smooth_round_robin([c.weight for c in CITIES], n)]
        others, extra = divmod(self.sizes.outlets - bench, n - 1)
        slots = [_AgentSlot(0, cities[0], 0, bench)]
        first = bench
        for a in range(1, n):
            count = others + (1 if a <= extra else 0)
            slots.append(_AgentSlot(a, cities[a], first, count))
            first += count
        return slots

    def _employees(self, rng: random.Random) -> tuple[tuple[pb.Employee, ...], str]:
        """Supervisors and other staff without a supervisor first, then those who have one."""
        by_city: dict[str, list[_AgentSlot]] = {}
        for slot in self.slots:
            by_city.setdefault(slot.city.key, []).append(slot)
        leads: list[pb.Employee] = []
        staff: list[pb.Employee] = []
        manager = _employee(
            self.id("employee", "distributor-manager"),
            _full_name(rng, MOSCOW),
            pb.ROLE_DISTRIBUTOR_MANAGER,
            self.cities[MOSCOW.key].id,
            distributor_id=self.distributor.id,
        )
        leads.append(manager)
        leads.append(  # the company's administrator (`./fl token --login demo-admin`)
            _employee(
                self.id("employee", "admin"),
                _full_name(rng, MOSCOW),
                pb.ROLE_ADMIN,
                self.cities[MOSCOW.key].id,
            )
        )
        for city_key, slots in by_city.items():
            city = slots[0].city
            territory = self.cities[city_key].id
            supervisors = [
                _employee(
                    self.id("employee", f"supervisor/{city_key}/{k}"),
                    _full_name(rng, city),
                    pb.ROLE_SUPERVISOR,
                    territory,
                )
                for k in range(math.ceil(len(slots) / 8))
            ]
            leads.extend(supervisors)
            for j, slot in enumerate(slots):
                role = pb.ROLE_VAN_SELLER if slot.index % 10 == 9 else pb.ROLE_AGENT
                staff.append(
                    _employee(
                        self.id("employee", f"agent/{slot.index}"),
                        _full_name(random.Random(f"{self.seed}/agent/{slot.index}/name"), city),
                        role,
                        territory,
                        supervisors[j % len(supervisors)].id,
                    )
                )
            for k in range(max(len(slots) // 5, 1 if city is MOSCOW else 0)):
                staff.append(
                    _employee(
                        self.id("employee", f"merchandiser/{city_key}/{k}"),
                        _full_name(rng, city),
                        pb.ROLE_MERCHANDISER,
                        territory,
                        supervisors[k % len(supervisors)].id,
                    )
                )
        technicians = max(1, self.sizes.agents // 25)
        for k, c in enumerate(_smooth_round_robin([c.weight for c in CITIES], technicians)):
            city = CITIES[c]
            leads.append(
                _employee(
                    self.id("employee", f"technician/{k}"),
                    _full_name(rng, city),
                    pb.ROLE_TECHNICIAN,
                    self.cities[city.key].id,
                )
            )
        return (*leads, *staff), manager.id

    def _route(self, slot: _AgentSlot) -> pb.Route:
        return pb.Route(
            id=self.id("route", f"agent/{slot.index}"),
            name=f"Маршрут {slot.index + 1:04d} — {slot.city.name}",
            territory_id=self.cities[slot.city.key].id,
            agent_id=self.id("employee", f"agent/{slot.index}"),
        )

    @staticmethod
    def _org_inn_kpp(rng: random.Random, city: City, used: set[str]) -> tuple[str, str]:
        """A fresh 10-digit INN registered at a local tax office, and its KPP."""
        while True:
            office = f"{city.tax_region}{rng.randint(1, 51):02d}"
            inn = _inn(f"{office}{rng.randint(0, 99999):05d}")
            if inn not in used:
                used.add(inn)
                return inn, f"{office}01001"

    @staticmethod
    def _ie_inn(rng: random.Random, city: City, used: set[str]) -> str:
        """A fresh 12-digit INN of an individual entrepreneur."""
        while True:
            office = f"{city.tax_region}{rng.randint(1, 51):02d}"
            inn = _inn(f"{office}{rng.randint(0, 999999):06d}")
            if inn not in used:
                used.add(inn)
                return inn

    # -- outlets ----------------------------------------------------------------------------
    def blocks(self) -> Iterator[Block]:
        """Per agent, in agent order: its new clients and outlets (with their assignments).

        Deterministic however often it is iterated; INNs are unique across the whole company.
        """
        used = set(self._company_inns)
        for slot, route in zip(self.slots, self.routes, strict=True):
            yield self._block(slot, route, used)

    def all_clients(self) -> list[pb.Client]:
        return [self.distributor, *self.chains, *(c for b in self.blocks() for c in b.clients)]

    def all_outlets(self) -> list[OutletSpec]:
        return [o for b in self.blocks() for o in b.outlets]

    def _block(self, slot: _AgentSlot, route: pb.Route, used: set[str]) -> Block:
        rng = random.Random(f"{self.seed}/agent/{slot.index}/outlets")
        city = slot.city
        territory = self.cities[city.key].id
        bench = slot.index == 0
        # The agent's area: a cluster somewhere in the city (the bench agent's is the centre).
        if bench:
            centre_lat, centre_lon = city.lat, city.lon
        else:
            centre_lat, centre_lon = _offset(rng, city.lat, city.lon, city.spread_km)
        spread = rng.uniform(1.0, 2.2)
        clients: list[pb.Client] = []
        rows: list[tuple[float, OutletSpec, bool]] = []  # (angle, spec, on the route)
        owner: _LocalOwner | None = None
        left = 0
        for i in range(slot.first_outlet, slot.first_outlet + slot.outlet_count):
            lat, lon = _offset(rng, centre_lat, centre_lon, spread)
            street = rng.choice(city.streets + _COMMON_STREETS)
            address = _address(rng, city, street)
            if rng.random() < 0.12:
                chain_index = rng.choices(range(len(CHAINS)), [c.weight for c in CHAINS])[0]
                card = self._chain_card(rng, CHAINS[chain_index], i, address, lat, lon, city)
                client_id = self.chains[chain_index].id
                closed = False
            else:
                if left == 0:
                    owner = self._local_owner(rng, slot, len(clients), city, used)
                    clients.append(owner.client)
                    left = rng.choices((1, 2, 3, 4, 5), (72, 18, 6, 2, 2))[0]
                assert owner is not None
                left -= 1
                owner.outlets += 1
                card = self._local_card(rng, owner, street, address, lat, lon, city)
                client_id = owner.client.id
                closed = not bench and rng.random() < 0.02
            status = pb.OUTLET_STATUS_CLOSED if closed else pb.OUTLET_STATUS_ACTIVE
            on_route = bench or (not closed and rng.random() < 0.97)
            angle = math.atan2(lat - centre_lat, (lon - centre_lon) * math.cos(math.radians(lat)))
            spec = OutletSpec(self.id("outlet", i), client_id, card, territory, status, None)
            rows.append((angle, spec, on_route))
        # Route order: a sweep around the area centre; sequence 1, 2, … along it.
        stops = sorted(((a, s) for a, s, on in rows if on), key=lambda r: (r[0], r[1].id))
        sequence = {s.id: n for n, (_, s) in enumerate(stops, start=1)}
        outlets = []
        for _, spec, on in rows:
            assignment = (
                self._assignment(rng, route.id, spec.id, sequence[spec.id], bench) if on else None
            )
            outlets.append(
                OutletSpec(
                    spec.id, spec.client_id, spec.card, spec.territory_id, spec.status, assignment
                )
            )
        return Block(slot.index, route, clients, outlets)

    def _assignment(
        self, rng: random.Random, route_id: str, outlet_id: str, sequence: int, bench: bool
    ) -> pb.RouteAssignment:
        if bench:
            days = [BENCH_WEEKDAY]
            if rng.random() < 0.3:
                days.append(rng.choice((1, 5)))
            return _assignment(
                route_id, outlet_id, pb.VISIT_FREQUENCY_WEEKLY, days, self.start_date, sequence
            )
        frequency = rng.choices(list(WEEKS), (45, 35, 20))[0]
        first = rng.choices((1, 2, 3, 4, 5, 6), (10, 10, 10, 10, 10, 3))[0]
        days = [first]
        if rng.random() < 0.3:
            days.append((first + rng.choice((2, 3))) % 6 + 1)
        # Staggered cycles: every-N-weeks outlets start in one of the N weeks before the start.
        start = self.start_date - timedelta(weeks=rng.randrange(WEEKS[frequency]))
        return _assignment(route_id, outlet_id, frequency, days, start, sequence)

    def _local_owner(
        self, rng: random.Random, slot: _AgentSlot, n: int, city: City, used: set[str]
    ) -> _LocalOwner:
        client_id = self.id("client", f"agent/{slot.index}/{n}")
        word = rng.choice(_SHOP_WORDS)
        horeca = rng.random() < 0.17
        if rng.random() < 0.35:  # an individual entrepreneur: 12-digit INN, no KPP
            person = _full_name(rng, city)
            client = _client(
                client_id,
                f"ИП {person}",
                self._ie_inn(rng, city, used),
                "",
                pb.CLIENT_TYPE_RETAIL,
                _legal_address(rng, city, office=False),
            )
        else:
            form = rng.choices(("ООО", "АО"), (95, 5))[0]
            name = (
                f"{form} «{word}»"
                if rng.random() < 0.6
                else f"{form} «{word}-{rng.choice(_COMPANY_SUFFIXES)}»"
            )
            inn, kpp = self._org_inn_kpp(rng, city, used)
            client = _client(
                client_id,
                name,
                inn,
                kpp,
                pb.CLIENT_TYPE_RETAIL,
                _legal_address(rng, city, office=True),
            )
        return _LocalOwner(client, word, horeca)

    def _local_card(
        self, rng: random.Random, owner: _LocalOwner, street: str, address: str, lat: float,
        lon: float, city: City,
    ) -> pb.OutletCard:  # fmt: skip
        word = owner.word
        number = f" №{owner.outlets}" if owner.outlets > 1 else ""
        if owner.horeca:
            fmt, name = rng.choice(
                (
                    ("Кафе", f"Кафе «{word}»{number}"),
                    ("Кафе", f"Кофейня «{word}»"),
                    ("Кафе", f"Пекарня «{word}»"),
                    ("Кафе", f"Бистро «{word}»"),
                    ("Кафе", "Шаурма и кофе"),
                    ("Кафе", f"Пиццерия «{word}»"),
                    ("Столовая", f"Столовая №{rng.randint(1, 60)}"),
                    ("Ресторан", f"Ресторан «{word}»"),
                )
            )
            channel, hours = HORECA, rng.choice(_HORECA)
        else:
            fmt = rng.choices(
                ("Магазин у дома", "Минимаркет", "Киоск", "Павильон"), (50, 30, 10, 10)
            )[0]
            on_street = f"Продукты на {street}" if street.startswith("ул. ") else "Продукты"
            names = {
                "Магазин у дома": (
                    f"Магазин «{word}»{number}", "Продукты", "Продукты 24", on_street,
                    f"Гастроном «{word}»", "Продуктовый", f"Магазин продуктов «{word}»",
                    f"Универсам «{word}»", "Магазин у дома", f"Продукты «{word}»",
                ),
                "Минимаркет": (
                    "Минимаркет у дома", f"Минимаркет «{word}»{number}", "Минимаркет 24",
                    f"Маркет «{word}»", f"{word} 24",
                ),
                "Киоск": (
                    f"Киоск «{word}»", "Табак и напитки", "Пресса и напитки", "Киоск у остановки",
                ),
                "Павильон": (
                    f"Павильон «{word}»", "Павильон «Продукты»", "Ларёк у рынка",
                    "Павильон «Овощи-фрукты»",
                ),
            }[fmt]  # fmt: skip
            name = rng.choice(names)
            channel = TRADITIONAL
            hours = _HOURS[0] if name.endswith("24") else rng.choice(_HOURS)
        outlet_class = rng.choices(("A", "B", "C"), (10, 30, 60))[0]
        return pb.OutletCard(
            name=name,
            address=address,
            location=latlng_pb2.LatLng(latitude=lat, longitude=lon),
            channel=channel,
            format=fmt,
            outlet_class=outlet_class,
            contacts=_contacts(rng, city),
            working_hours=hours,
            custom_attributes=_custom_attributes(rng, fmt),
        )

    def _chain_card(
        self, rng: random.Random, chain: Chain, i: int, address: str, lat: float, lon: float,
        city: City,
    ) -> pb.OutletCard:  # fmt: skip
        prefix = f"{chain.name_prefix} " if chain.name_prefix else ""
        return pb.OutletCard(
            name=f"{prefix}{chain.brand} №{(i * 7919) % 9000 + 100}",
            address=address,
            location=latlng_pb2.LatLng(latitude=lat, longitude=lon),
            channel=MODERN,
            format=chain.format,
            outlet_class=rng.choices(("A", "B"), (60, 40))[0],
            contacts=[
                pb.Contact(name=_full_name(rng, city), role="Директор магазина", phone=_phone(rng))
            ],
            working_hours=_HOURS[0] if chain.name_prefix else rng.choice(_HOURS[1:3]),
            custom_attributes={"edi": "да", "payment": "безналичный расчёт"},
        )

    # -- summary --------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        clients = outlets = assignments = closed = 0
        for block in self.blocks():
            clients += len(block.clients)
            outlets += len(block.outlets)
            assignments += sum(1 for o in block.outlets if o.assignment is not None)
            closed += sum(1 for o in block.outlets if o.status == pb.OUTLET_STATUS_CLOSED)
        return {
            "territories": len(self.territories),
            "clients": clients + 1 + len(self.chains),
            "employees": len(self.employees),
            "outlets": outlets,
            "closed_outlets": closed,
            "routes": len(self.routes),
            "route_assignments": assignments,
            "questionnaires": len(self.questionnaires),
        }

    # -- the requests that create it (what both loaders send) ------------------------------
    def requests(self) -> Iterator[Message]:
        """Every request that creates the company, each after those it refers to. Outlets come
        agent by agent (`blocks`): their clients, the outlets, the route, its assignments."""
        yield from (self.territory_request(t) for t in self.territories)
        yield from (self.questionnaire_request(q) for q in self.questionnaires)
        yield from (self.client_request(c) for c in (self.distributor, *self.chains))
        yield from (self.employee_request(e) for e in self.employees)
        for block in self.blocks():
            yield from (self.client_request(c) for c in block.clients)
            for o in block.outlets:
                yield from self.outlet_requests(o)
            yield self.route_request(block.route)
            yield from self.assignment_requests(block)

    def territory_request(self, t: pb.Territory) -> ts.CreateTerritoryRequest:
        return ts.CreateTerritoryRequest(territory=t)

    def questionnaire_request(self, q: pb.Questionnaire) -> vs.CreateQuestionnaireRequest:
        return vs.CreateQuestionnaireRequest(questionnaire=q)

    def client_request(self, c: pb.Client) -> cs.CreateClientRequest:
        return cs.CreateClientRequest(client=c)

    def employee_request(self, e: pb.Employee) -> ts.CreateEmployeeRequest:
        return ts.CreateEmployeeRequest(employee=e)

    def outlet_requests(self, o: OutletSpec) -> list[Message]:
        """The outlet created, and a closed one then closed (from its first version)."""
        outlet = pb.Outlet(id=o.id, client_id=o.client_id, card=o.card, territory_id=o.territory_id)
        created = cs.CreateOutletRequest(outlet=outlet)
        if o.status == pb.OUTLET_STATUS_ACTIVE:
            return [created]
        return [
            created,
            cs.SetOutletStatusRequest(outlet_id=o.id, expected_version=1, status=o.status),
        ]

    def route_request(self, r: pb.Route) -> ts.CreateRouteRequest:
        return ts.CreateRouteRequest(route=r)

    def assignment_requests(self, block: Block) -> list[Message]:
        """The route's assignments, in route order."""
        return [
            ts.SetRouteAssignmentRequest(assignment=o.assignment)
            for o in block.outlets
            if o.assignment is not None
        ]


@dataclass
class _LocalOwner:
    client: pb.Client
    word: str
    horeca: bool
    outlets: int = 0


def generate(
    sizes: Sizes = DEMO_SIZES, seed: int = 1, start_date: date | None = None
) -> DemoCompany:
    """The company for `sizes` and `seed`; `start_date` (a Monday) defaults to `recent_monday()`."""
    return DemoCompany(sizes, seed, start_date)


# --------------------------------------------------------------------------- small makers
def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(n))


def _house(rng: random.Random) -> str:
    house = str(rng.choices((rng.randint(1, 40), rng.randint(41, 180)), (75, 25))[0])
    extra = rng.random()
    if extra < 0.12:
        house += f", корп. {rng.randint(1, 4)}"
    elif extra < 0.2:
        house += f", стр. {rng.randint(1, 3)}"
    elif extra < 0.25:
        house += rng.choice("АБВ")
    return house


def _legal_address(rng: random.Random, city: City, *, office: bool) -> str:
    street = rng.choice(city.streets + _COMMON_STREETS)
    tail = f", офис {rng.randint(1, 420)}" if office else f", кв. {rng.randint(1, 240)}"
    return _address(rng, city, street) + tail


def _address(rng: random.Random, city: City, street: str) -> str:
    postcode = city.postal + _digits(rng, 6 - len(city.postal))
    return f"{postcode}, г. {city.name}, {street}, д. {_house(rng)}"


def _offset(rng: random.Random, lat: float, lon: float, sigma_km: float) -> tuple[float, float]:
    """A point normally distributed around (lat, lon), rounded to GPS precision (~0.1 m)."""
    dlat = rng.gauss(0.0, sigma_km) / 111.32
    dlon = rng.gauss(0.0, sigma_km) / (111.32 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _feminine(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if surname.endswith("ий"):
        return surname[:-2] + "ая"
    return surname  # Шевченко, Ковальчук, Мельник: the same for women


def _person(rng: random.Random, city: City) -> tuple[str, str, str]:
    """(surname, first name, patronymic), gender-consistent."""
    male = rng.random() < 0.55
    tatar = rng.random() < city.tatar_names
    surnames = _TATAR_SURNAMES if tatar else _SURNAMES
    patronymics = _TATAR_PATRONYMICS if tatar and rng.random() < 0.7 else _PATRONYMICS
    surname = rng.choice(surnames)
    patronymic = rng.choice(patronymics)
    if male:
        first = rng.choice(_TATAR_MALE_FIRST if tatar else _MALE_FIRST)
        return surname, first, patronymic[0]
    first = rng.choice(_TATAR_FEMALE_FIRST if tatar else _FEMALE_FIRST)
    return _feminine(surname), first, patronymic[1]


def _full_name(rng: random.Random, city: City) -> str:
    return " ".join(_person(rng, city))


def _phone(rng: random.Random) -> str:
    return f"+7 ({rng.randint(900, 999)}) {_digits(rng, 3)}-{_digits(rng, 2)}-{_digits(rng, 2)}"


def _contacts(rng: random.Random, city: City) -> list[pb.Contact]:
    out = []
    for _ in range(rng.choices((1, 2), (70, 30))[0]):
        surname, first, patronymic = _person(rng, city)
        email = ""
        if rng.random() < 0.4:
            email = f"{_translit(surname)}.{_translit(first[0])}@{rng.choice(_MAIL_DOMAINS)}"
        out.append(
            pb.Contact(
                name=f"{surname} {first} {patronymic}",
                role=rng.choice(_CONTACT_ROLES),
                phone=_phone(rng),
                email=email,
            )
        )
    return out


def _custom_attributes(rng: random.Random, fmt: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    if rng.random() < 0.6:
        attrs["fridge"] = rng.choice(("да", "нет", "чужой"))
    if rng.random() < 0.7:
        attrs["payment"] = rng.choice(
            ("наличные", "безналичный расчёт", "отсрочка 7 дней", "отсрочка 14 дней")
        )
    if fmt in ("Магазин у дома", "Минимаркет") and rng.random() < 0.3:
        attrs["delivery_window"] = rng.choice(("08:00–12:00", "10:00–14:00", "14:00–18:00"))
    return dict(sorted(attrs.items()))


def _questionnaires(ids: _Ids) -> tuple[pb.Questionnaire, ...]:
    N, M, Y, C, P = (
        pb.QUESTION_TYPE_NUMBER,
        pb.QUESTION_TYPE_MONEY,
        pb.QUESTION_TYPE_YES_NO,
        pb.QUESTION_TYPE_CHOICE,
        pb.QUESTION_TYPE_PHOTO,
    )
    shelf = ("На уровне глаз", "На уровне рук", "Нижняя полка", "Верхняя полка")
    return (
        _questionnaire(
            ids("questionnaire", "shelf-audit"),
            "Аудит полки: напитки",
            (
                _question("facings", "Число фейсов нашей продукции на полке", N, (), True),
                _question("shelf_share", "Доля полки нашей продукции, %", N, (), True),
                _question("price_own", "Цена «Кедровая» 0,5 л на полке", M, (), True),
                _question("price_competitor", "Цена ближайшего аналога конкурента 0,5 л", M),
                _question(
                    "promo_present", "Есть рекламные материалы (воблеры, шелфтокеры)?", Y, (), True
                ),
                _question("placement", "Где основная выкладка?", C, shelf, True),
                _question("shelf_photo", "Фото полки", P, (), True),
            ),
            ("KDR-0500-PET", "KDR-1500-PET", "KDR-0330-CAN", "TRH-1500-PET", "BRB-0500-GLS"),
        ),
        _questionnaire(
            ids("questionnaire", "fridge-check"),
            "Проверка холодильного оборудования",
            (
                _question("fridge_present", "Холодильник компании на месте?", Y, (), True),
                _question(
                    "fridge_purity",
                    "Что в холодильнике?",
                    C,
                    ("Только наша продукция", "Есть чужая продукция", "Холодильник пуст"),
                    True,
                ),
                _question("fridge_temperature", "Температура в холодильнике, °C", N),
                _question("fridge_photo", "Фото холодильника", P, (), True),
            ),
            ("KDR-0500-PET", "KDR-0330-CAN"),
        ),
        _questionnaire(
            ids("questionnaire", "summer-promo"),
            "Промо-акция «Лето»",
            (
                _question("promo_material", "Размещён промо-материал акции?", Y, (), True),
                _question("promo_price", "Промо-цена «Тархун» 1,5 л", M, (), True),
                _question("secondary_display", "Есть дополнительная точка продаж?", Y),
                _question("display_photo", "Фото дополнительной выкладки", P),
            ),
            ("TRH-1500-PET", "TRH-0500-PET"),
        ),
    )


# ------------------------------------------------------------------ the contract's messages
# Visit frequencies and how many weeks apart their visits are.
WEEKS = {
    pb.VISIT_FREQUENCY_WEEKLY: 1,
    pb.VISIT_FREQUENCY_EVERY_2_WEEKS: 2,
    pb.VISIT_FREQUENCY_EVERY_4_WEEKS: 4,
}


def _client(id: str, name: str, inn: str, kpp: str, type_: int, legal_address: str) -> pb.Client:
    return pb.Client(id=id, name=name, inn=inn, kpp=kpp, type=type_, legal_address=legal_address)


def _employee(
    id: str,
    full_name: str,
    role: int,
    territory_id: str,
    supervisor_id: str = "",
    distributor_id: str = "",
) -> pb.Employee:
    return pb.Employee(
        id=id,
        full_name=full_name,
        roles=[role],
        territory_id=territory_id,
        supervisor_id=supervisor_id,
        distributor_id=distributor_id,
    )


def _assignment(
    route_id: str,
    outlet_id: str,
    frequency: int,
    weekdays: Iterable[int],
    start: date,
    sequence: int,
) -> pb.RouteAssignment:
    return pb.RouteAssignment(
        route_id=route_id,
        outlet_id=outlet_id,
        frequency=frequency,
        weekdays=sorted(set(weekdays)),
        start_date=pb_date(start),
        sequence=sequence,
    )


def _question(
    id: str, text: str, type_: int, options: Sequence[str] = (), required: bool = False
) -> pb.Question:
    return pb.Question(id=id, text=text, type=type_, options=options, required=required)


def _questionnaire(
    id: str, name: str, questions: Sequence[pb.Question], must_stock_skus: Sequence[str]
) -> pb.Questionnaire:
    return pb.Questionnaire(id=id, name=name, questions=questions, must_stock_skus=must_stock_skus)


def _inn(prefix: str) -> str:
    """A 9- or 10-digit prefix completed into a valid INN: one check digit for an
    organisation's 10 digits, two for a person's 12. Each check digit is the weighted sum of
    the digits before it mod 11 mod 10, with the tail of these weights (the tax service's)."""
    weights = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
    if len(prefix) not in (9, 10):
        raise ValueError("an INN prefix has 9 or 10 digits")
    digits = prefix
    for _ in range(len(prefix) - 8):
        tail = weights[-len(digits) :]
        digits += str(sum(int(d) * w for d, w in zip(digits, tail, strict=True)) % 11 % 10)
    return digits


# ------------------------------------------------------------------------------- reports
@dataclass
class LoadReport:
    counts: dict[str, int]
    seconds: float
    rpcs: int = 0  # gRPC loads: calls made, retries included
    stages: list[tuple[str, int, float]] = field(default_factory=list)  # (stage, RPCs, seconds)

    def __str__(self) -> str:
        lines = [f"  {k:<20} {v:>10,}" for k, v in self.counts.items()]
        if self.rpcs:
            lines.append(f"  {'rpcs':<20} {self.rpcs:>10,}")
        lines.append(f"  {'elapsed':<20} {self.seconds:>9.1f}s")
        return "\n".join(lines)


# ----------------------------------------------------------------------------- via gRPC
_RETRY_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)
Progress = Callable[[str], None]
PROGRESS_EVERY = 5.0  # seconds between the progress lines of a long stage


class _Stage:
    """One stage of a gRPC load, told through `say`.

    A line every `every` seconds while a long stage runs (how many of its requests are done),
    and one when it ends (its count, time and RPCs); a short stage gets the last line only.
    """

    def __init__(
        self, caller: _Caller, say: Progress, name: str, total: int, every: float, what: str
    ) -> None:
        self.caller, self.say, self.name, self.total, self.every = caller, say, name, total, every
        self.what = what or f"{total:,}"
        self.done = 0
        self.rpcs_before = caller.rpcs
        self.started = self.said = time.perf_counter()
        self.result: tuple[str, int, float] = (name, 0, 0.0)  # (stage, RPCs, seconds)

    def advance(self) -> None:
        self.done += 1
        now = time.perf_counter()
        if now - self.said >= self.every and self.done < self.total:
            self.said = now
            self.say(f"{self.name}: {self.done:,} of {self.total:,} …")

    def __enter__(self) -> _Stage:
        self.caller.stage = self
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        self.caller.stage = None
        if kind is None:
            seconds = time.perf_counter() - self.started
            self.result = (self.name, self.caller.rpcs - self.rpcs_before, seconds)
            self.say(f"{self.name}: {self.what} in {seconds:.1f}s ({self.result[1]:,} RPCs)")


class _Caller:
    """Runs write RPCs with content-derived request_ids, retrying transient failures.

    Each call that succeeds advances the current stage (`in_stage`), for progress lines.
    """

    def __init__(
        self,
        namespace: uuid.UUID,
        concurrency: int,
        timeout: float = 60.0,
        *,
        progress: Progress | None = None,
        progress_every: float = PROGRESS_EVERY,
    ) -> None:
        self.namespace = namespace
        self.concurrency = concurrency
        self.timeout = timeout
        self.rpcs = 0
        self.say = progress or (lambda _: None)
        self.progress_every = progress_every
        self.stage: _Stage | None = None

    def in_stage(self, name: str, total: int, what: str = "") -> _Stage:
        """`with caller.in_stage("outlets", n):` — the calls made inside are that stage's."""
        return _Stage(self, self.say, name, total, self.progress_every, what)

    def request_id(self, method: str, request: Message) -> str:
        digest = hashlib.sha256(method.encode() + request.SerializeToString(deterministic=True))
        return str(uuid.uuid5(self.namespace, digest.hexdigest()))

    async def call(self, rpc: Any, method: str, request: Message) -> Any:
        request.request_id = self.request_id(method, request)  # type: ignore[attr-defined]
        delay = 0.05
        for attempt in range(8):
            self.rpcs += 1
            try:
                reply = await rpc(request, timeout=self.timeout)
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in _RETRY_CODES or attempt == 7:
                    raise
            else:
                if self.stage is not None:
                    self.stage.advance()
                return reply
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")

    async def run_all(self, jobs: Iterable[Callable[[], Awaitable[Any]]]) -> int:
        """Run the jobs with `concurrency` in flight; the first failure cancels the rest."""
        it = iter(jobs)
        done = 0

        async def worker() -> None:
            nonlocal done
            for job in it:
                await job()
                done += 1

        async with asyncio.TaskGroup() as tg:
            for _ in range(self.concurrency):
                tg.create_task(worker())
        return done


TokenSource = Callable[[], str]


def bearer(token: TokenSource | None) -> list[grpc.aio.ClientInterceptor] | None:
    """A channel's interceptors: every call with `token()` (none without a token)."""
    return [BearerToken(token)] if token is not None else None


def _rpcs(channel: grpc.aio.Channel) -> dict[type[Message], Any]:
    """The RPC that sends each request of the company."""
    clients = cs_grpc.ClientsServiceStub(channel)
    territory = ts_grpc.TerritoryServiceStub(channel)
    visits = vs_grpc.VisitsServiceStub(channel)
    return {
        ts.CreateTerritoryRequest: territory.CreateTerritory,
        vs.CreateQuestionnaireRequest: visits.CreateQuestionnaire,
        cs.CreateClientRequest: clients.CreateClient,
        ts.CreateEmployeeRequest: territory.CreateEmployee,
        cs.CreateOutletRequest: clients.CreateOutlet,
        cs.SetOutletStatusRequest: clients.SetOutletStatus,
        ts.CreateRouteRequest: territory.CreateRoute,
        ts.SetRouteAssignmentRequest: territory.SetRouteAssignment,
    }


async def load_via_grpc(
    target: str,
    sizes: Sizes = DEMO_SIZES,
    seed: int = 1,
    *,
    start_date: date | None = None,
    concurrency: int = 16,
    progress: Progress | None = None,
    progress_every: float = PROGRESS_EVERY,
    token: TokenSource | None = None,
) -> LoadReport:
    """Create the demo company through the public gRPC API of the clients service at `target`
    (each call with the token `token()` gives, if any: an administrator's).

    Re-runnable: ids are uuid5 of the seed and request_ids are derived from each request's
    content, so a second run with the same arguments is answered from the idempotency records
    and changes nothing (no new rows, no new events). `progress` hears of each stage (regions,
    cities, clients, … questionnaires) as it ends, and every `progress_every` seconds of a long
    one.
    """
    company = generate(sizes, seed, start_date)
    caller = _Caller(
        uuid.uuid5(company.id.namespace, "requests"),
        concurrency,
        progress=progress,
        progress_every=progress_every,
    )
    started = time.perf_counter()
    stages: list[tuple[str, int, float]] = []
    blocks = list(company.blocks())

    async with grpc.aio.insecure_channel(target, interceptors=bearer(token)) as channel:
        rpcs = _rpcs(channel)

        def job(requests: Sequence[Message]) -> Callable[[], Awaitable[None]]:
            async def send() -> None:
                for request in requests:
                    method = type(request).DESCRIPTOR.name.removesuffix("Request")
                    await caller.call(rpcs[type(request)], method, request)

            return send

        async def stage(name: str, jobs: Sequence[Sequence[Message]], what: str = "") -> None:
            """The jobs `concurrency` at a time, each job's requests in order."""
            with caller.in_stage(name, sum(len(requests) for requests in jobs), what) as s:
                await caller.run_all([job(requests) for requests in jobs])
            stages.append(s.result)

        await stage("regions", [[company.territory_request(t)] for t in company.regions.values()])
        await stage("cities", [[company.territory_request(t)] for t in company.cities.values()])
        clients = [company.distributor, *company.chains, *(c for b in blocks for c in b.clients)]
        await stage("clients", [[company.client_request(c)] for c in clients])
        leads = [e for e in company.employees if not e.supervisor_id]
        staff = [e for e in company.employees if e.supervisor_id]
        await stage("supervisors and staff", [[company.employee_request(e)] for e in leads])
        await stage("agents and merchandisers", [[company.employee_request(e)] for e in staff])
        outlets = [company.outlet_requests(o) for b in blocks for o in b.outlets]
        closed = sum(len(requests) - 1 for requests in outlets)
        await stage("outlets", outlets, f"{len(outlets):,} ({closed:,} of them closed)")
        await stage("routes", [[company.route_request(b.route)] for b in blocks])
        # One route's assignments in order: each one bumps the route's version, so concurrent
        # writes to one route would only collide and retry.
        await stage("route assignments", [company.assignment_requests(b) for b in blocks])
        await stage(
            "questionnaires", [[company.questionnaire_request(q)] for q in company.questionnaires]
        )

    counts = company.counts()
    return LoadReport(counts, time.perf_counter() - started, caller.rpcs, stages)


# ------------------------------------------------------------------------------ in bulk
async def load_bulk(
    database_url: str,
    sizes: Sizes = BENCH_SIZES,
    seed: int = 1,
    *,
    start_date: date | None = None,
    migrate: bool = False,
    chunk_size: int = 5000,
    progress: Progress | None = None,
) -> LoadReport:
    """Seed an empty clients database with the company through the service's own bulk path.

    The requests stream into `python -m fieldline_clients bulk-load` (a process of its own:
    the dev tools reach a service through its contracts and commands, never its code), which
    loads them into the database at `database_url`, migrated first with `migrate`. The company
    is generated while the service loads what came before, on another core. No outbox events,
    no idempotency records; a database holding data is refused (RuntimeError, with the
    command's reason).
    """
    company = generate(sizes, seed, start_date)
    say = progress or (lambda _: None)
    started = time.perf_counter()
    command = [
        *(sys.executable, "-m", "fieldline_clients", "bulk-load"),
        *("--database-url", database_url, "--chunk-size", str(chunk_size)),
        *(["--migrate"] if migrate else []),
        "-",  # the requests come on stdin
    ]
    pipe = asyncio.subprocess.PIPE
    process = await asyncio.create_subprocess_exec(*command, stdin=pipe, stdout=pipe, stderr=pipe)
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    said: list[str] = []

    async def relay(lines: asyncio.StreamReader) -> None:
        async for line in lines:
            said.append(line.decode().strip())
            say(said[-1].removeprefix("… "))

    relaying = asyncio.create_task(relay(process.stderr))
    output = asyncio.create_task(process.stdout.read())
    try:
        for block in message_blocks(company.requests()):
            process.stdin.write(block)
            await process.stdin.drain()
        process.stdin.close()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the command stopped early; why is on its stderr
    await relaying
    if await process.wait() != 0:
        raise RuntimeError(f"the clients bulk load failed: {said[-1] if said else '?'}")
    return LoadReport(json.loads(await output), time.perf_counter() - started)


# ---------------------------------------------------------------------------------- CLI
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fieldline_dev.demo", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="mode", required=True)
    g = sub.add_parser("grpc", help="create the company through the clients service's gRPC API")
    g.add_argument("--target", required=True, help="host:port of the clients service")
    g.add_argument("--agents", type=int, default=DEMO_SIZES.agents)
    g.add_argument("--outlets", type=int, default=DEMO_SIZES.outlets)
    g.add_argument("--concurrency", type=int, default=16)
    g.add_argument(
        "--data-dir",
        default=str(RUN_DIR),
        help="the data directory of ./fl up, whose development key signs the calls' tokens",
    )
    b = sub.add_parser("bulk", help="bulk-insert into a migrated, empty clients database")
    b.add_argument("--database-url", required=True, help="postgresql://… or sqlite:///path")
    b.add_argument("--agents", type=int, default=BENCH_SIZES.agents)
    b.add_argument("--outlets", type=int, default=BENCH_SIZES.outlets)
    b.add_argument("--migrate", action="store_true", help="run the clients migrations first")
    for p in (g, b):
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--bench-outlets", type=int, default=BENCH_OUTLETS)
        p.add_argument(
            "--start-date", type=date.fromisoformat, default=None, help="a Monday (YYYY-MM-DD)"
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        sizes = Sizes(args.agents, args.outlets, args.bench_outlets)
    except ValueError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2

    def say(message: str) -> None:
        print(f"  … {message}", file=sys.stderr, flush=True)

    company = generate(sizes, args.seed, args.start_date)
    print(
        f"demo company: seed {args.seed}, {sizes.agents:,} agents, {sizes.outlets:,} outlets, "
        f"start {company.start_date}; bench agent {company.bench_agent_id} "
        f"({sizes.bench_outlets} outlets due {company.bench_date})"
    )
    if args.mode == "grpc":
        token = local_issuer(Path(args.data_dir)).source("local-admin", Kind.EMPLOYEE, [ADMIN])
        report = asyncio.run(
            load_via_grpc(
                args.target, sizes, args.seed, start_date=args.start_date,
                concurrency=args.concurrency, progress=say, token=token,
            )
        )  # fmt: skip
        print(f"loaded via gRPC at {args.target}:")
    else:
        try:
            report = asyncio.run(
                load_bulk(
                    args.database_url, sizes, args.seed, start_date=args.start_date,
                    migrate=args.migrate, progress=say,
                )
            )  # fmt: skip
        except RuntimeError as exc:
            print(f"demo: {exc}", file=sys.stderr)
            return 1
        print("loaded in bulk (no outbox events):")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
