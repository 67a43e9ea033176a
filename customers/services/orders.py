"""The orders ledger (DESIGN §3): recording orders (API, forms, won opportunities) and importing CSV files.

One cleaning function checks an incoming order whatever its origin; `record_orders` stores a batch
all-or-nothing; `import_orders` streams a CSV file into the ledger. PostgreSQL: a clean file is COPied
straight into the ledger in one transaction; a file that needs a per-row report (bad rows, known or repeated
refs) is read again into a temporary table, checked set-based, then written with one INSERT … SELECT … ON
CONFLICT DO NOTHING. Other databases: batched bulk_create.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO

import psycopg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerOperationalError

from crm.models import Job
from crm.services import (
    SYSTEM_USERNAME,
    create_job,
    fail_job,
    finish_job,
    get_system_user,
    report_job_progress,
    start_job,
)
from customers.models import Customer, Order, Stage
from customers.selectors.customer import visible_customers

CENT = Decimal("0.01")
MAX_MONEY = Decimal("999999999999.99")  # max_digits=14, decimal_places=2
FUTURE_TOLERANCE = timedelta(days=1)
DEFAULT_SOURCE = "api"
IMPORT_SOURCE = "import"
ERROR_REPORT_LIMIT = 1000

# CSV import
REQUIRED_COLUMNS = ("ordered_at", "amount")
CUSTOMER_COLUMNS = ("customer_ref", "customer")
OPTIONAL_COLUMNS = ("cost", "source", "external_ref")
ENCODINGS = {"auto": None, "utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gb18030"}
PG_BATCH_ROWS = 50_000
GENERIC_BATCH_ROWS = 2_000


class OrderBatchError(ValidationError):
    """A batch refused as a whole; `item_errors` maps each bad item's index to {field: [messages]}."""

    def __init__(self, item_errors: dict[int, dict[str, list[str]]]):
        self.item_errors = item_errors
        super().__init__(_("The batch was refused; nothing was stored."))


class OrderImportError(ValidationError):
    """A file that cannot be read as an orders CSV at all (wrong header, undecodable encoding)."""


@dataclass
class BatchResult:
    orders: list[Order]  # one per item, in item order: the new order, or the existing one for a known ref
    created: int
    duplicates: list[int]


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    error_count: int = 0
    errors: list[dict] = field(default_factory=list)  # {"line", "field", "message"}, the first ERROR_REPORT_LIMIT
    encoding: str = ""
    committed: bool = False

    def add_error(self, line: int, field_name: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < ERROR_REPORT_LIMIT:
            self.errors.append({"line": line, "field": field_name, "message": str(message)})

    def as_dict(self) -> dict:
        return asdict(self)


# --- cleaning one order ---------------------------------------------------------------------------------


def parse_money(value, *, required: bool = True) -> Decimal:
    """A non-negative amount with at most two decimals, exactly; ValueError with the message otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(_("This field is required."))
        return Decimal("0.00")
    if isinstance(value, bool):
        raise ValueError(_("A number is required."))
    if isinstance(value, float):  # only reachable from Python callers; JSON is parsed into Decimal
        value = repr(value)
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(_("A number is required.")) from None
    if not amount.is_finite():
        raise ValueError(_("A number is required."))
    if amount < 0:
        raise ValueError(_("Must not be negative."))
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(CENT):
        raise ValueError(_("At most two decimal places."))
    if amount > MAX_MONEY:
        raise ValueError(_("Too large."))
    return amount.quantize(CENT)


def parse_ordered_at(value, *, latest: datetime) -> datetime:
    """An aware datetime (naive values and dates are local time), not more than a day in the future."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(_("This field is required."))
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime(value.year, value.month, value.day)  # noqa: DTZ001 - made aware just below
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(_("Enter a date and time as YYYY-MM-DD HH:MM[:SS][+08:00].")) from None
    else:
        raise ValueError(_("Enter a date and time as YYYY-MM-DD HH:MM[:SS][+08:00]."))
    if when.tzinfo is None:
        when = timezone.make_aware(when, timezone.get_default_timezone())
    if when > latest:
        raise ValueError(_("Must not be more than a day in the future."))
    return when


def _text(value, *, max_length: int) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > max_length:
        raise ValueError(_("At most %(n)d characters.") % {"n": max_length})
    return text


@dataclass(slots=True)
class CleanOrder:
    customer_id: int | None
    customer_ref: str | None
    ordered_at: datetime
    amount: Decimal
    cost: Decimal
    source: str
    external_ref: str | None


def clean_order(raw: Mapping, *, default_source: str, latest: datetime) -> tuple[CleanOrder | None, dict]:
    """Check one incoming order (a JSON object, a form's data, a CSV row as a dict)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(raw, Mapping):
        return None, {"non_field_errors": [_("Each order must be an object.")]}

    def check(name: str, fn: Callable):
        try:
            return fn()
        except ValueError as exc:
            errors[name] = [str(exc)]
            return None

    customer_id = customer_ref = None
    raw_customer = raw.get("customer")
    raw_ref = raw.get("customer_ref")
    if raw_customer not in (None, ""):
        if isinstance(raw_customer, bool):
            errors["customer"] = [_("A customer id is required.")]
        else:
            try:
                customer_id = int(raw_customer)
            except (TypeError, ValueError):
                errors["customer"] = [_("A customer id is required.")]
    elif raw_ref not in (None, ""):
        customer_ref = check("customer_ref", lambda: _text(raw_ref, max_length=100)) or None
    else:
        errors["customer"] = [_("Give the customer (id) or customer_ref (the ERP code).")]
    ordered_at = check("ordered_at", lambda: parse_ordered_at(raw.get("ordered_at"), latest=latest))
    amount = check("amount", lambda: parse_money(raw.get("amount")))
    cost = check("cost", lambda: parse_money(raw.get("cost"), required=False))
    source = check("source", lambda: _text(raw.get("source"), max_length=50)) or default_source
    external_ref = check("external_ref", lambda: _text(raw.get("external_ref"), max_length=100)) or None
    if errors:
        return None, errors
    return CleanOrder(customer_id, customer_ref, ordered_at, amount, cost, source, external_ref), {}


def _customer_scope(actor) -> QuerySet:
    """The customers `actor` may record orders for; the system user (commands, jobs) reaches all."""
    if actor.username == SYSTEM_USERNAME:
        return Customer.objects.all()
    return visible_customers(actor)


def _promote_targets(customer_ids: Iterable[int]) -> None:
    """A target's first order makes it current, as the system user (DESIGN §3)."""
    from customers.services.customer import transition_stage

    targets = list(Customer.objects.filter(pk__in=customer_ids, stage=Stage.TARGET).values_list("pk", flat=True))
    if not targets:
        return
    system = get_system_user()
    for pk in targets:
        transition_stage(actor=system, customer=Customer(pk=pk), to_stage=Stage.CURRENT, reason="First order")


# --- recording orders (API, forms, opportunities) ----------------------------------------------------


@transaction.atomic
def record_orders(*, actor, items: list, default_source: str = DEFAULT_SOURCE, _retried: bool = False) -> BatchResult:
    """Store a batch all-or-nothing: any bad item refuses the whole batch (OrderBatchError, errors by
    index); items whose (source, external_ref) is already in the ledger are skipped and reported."""
    latest = timezone.now() + FUTURE_TOLERANCE
    errors: dict[int, dict] = {}
    cleaned: list[CleanOrder | None] = []
    for index, raw in enumerate(items):
        item, item_errors = clean_order(raw, default_source=default_source, latest=latest)
        cleaned.append(item)
        if item_errors:
            errors[index] = item_errors

    scope = _customer_scope(actor).order_by()
    ids = {c.customer_id for c in cleaned if c and c.customer_id is not None}
    refs = {c.customer_ref for c in cleaned if c and c.customer_ref is not None}
    known_ids = set(scope.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    id_by_ref = dict(scope.filter(external_ref__in=refs).values_list("external_ref", "pk")) if refs else {}
    first_seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(cleaned):
        if item is None:
            continue
        if item.customer_id is not None and item.customer_id not in known_ids:
            errors.setdefault(index, {})["customer"] = [_("Unknown customer, or outside your scope.")]
        elif item.customer_ref is not None:
            if item.customer_ref in id_by_ref:
                item.customer_id = id_by_ref[item.customer_ref]
            else:
                errors.setdefault(index, {})["customer_ref"] = [_("Unknown customer, or outside your scope.")]
        if item.external_ref is not None:
            key = (item.source, item.external_ref)
            if key in first_seen:
                errors.setdefault(index, {})["external_ref"] = [
                    _("Repeated in this batch (first at item %(index)d).") % {"index": first_seen[key]}
                ]
            else:
                first_seen[key] = index
    if errors:
        raise OrderBatchError(errors)

    existing: dict[tuple[str, str], Order] = {}
    if first_seen:
        sources = {s for s, _r in first_seen}
        for order in Order.objects.filter(source__in=sources, external_ref__in={r for _s, r in first_seen}):
            existing[(order.source, order.external_ref)] = order
    results: list[Order] = []
    new_orders: list[Order] = []
    duplicates: list[int] = []
    for index, item in enumerate(cleaned):
        key = (item.source, item.external_ref)
        if item.external_ref is not None and key in existing:
            duplicates.append(index)
            results.append(existing[key])
            continue
        order = Order(
            customer_id=item.customer_id,
            ordered_at=item.ordered_at,
            amount=item.amount,
            cost=item.cost,
            source=item.source,
            external_ref=item.external_ref,
        )
        order.full_clean(exclude=["customer"], validate_constraints=False)
        new_orders.append(order)
        results.append(order)
    try:
        with transaction.atomic():
            Order.objects.bulk_create(new_orders)
    except IntegrityError:
        if _retried:
            raise
        # A concurrent request stored one of these refs between the check and the insert: check again,
        # and it is reported as a known duplicate like any other.
        return record_orders(actor=actor, items=items, default_source=default_source, _retried=True)
    _promote_targets({o.customer_id for o in new_orders})
    return BatchResult(orders=results, created=len(new_orders), duplicates=duplicates)


@transaction.atomic
def record_order(*, actor, data: Mapping, default_source: str = DEFAULT_SOURCE) -> tuple[Order, bool]:
    """Store one order; (order, True) when new, (the existing order, False) when its ref is known."""
    try:
        result = record_orders(actor=actor, items=[data], default_source=default_source)
    except OrderBatchError as exc:
        raise ValidationError(exc.item_errors[0]) from None
    order = result.orders[0]
    if result.duplicates:
        if not _customer_scope(actor).filter(pk=order.customer_id).exists():
            raise ValidationError({"external_ref": [_("This reference is already used by another order.")]})
        return order, False
    return order, True


# --- CSV import ---------------------------------------------------------------------------------------


def _detect_encoding(head: bytes) -> tuple[str, str]:
    """(codec, label) for the start of a file: a UTF-8 BOM, else valid UTF-8, else GBK (Excel in China)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8", "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030", "gbk"
    except UnicodeDecodeError:
        raise OrderImportError(
            _("The file's encoding could not be recognised; save it as UTF-8 or GBK, or choose the encoding.")
        ) from None


def _read_header(reader, label: str) -> dict[str, int]:
    try:
        header = next(reader)
    except StopIteration:
        raise OrderImportError(_("The file is empty.")) from None
    except UnicodeDecodeError:
        raise OrderImportError(_("The file is not valid %(encoding)s text.") % {"encoding": label}) from None
    columns = [name.strip().lstrip("\ufeff").lower() for name in header]
    allowed = set(REQUIRED_COLUMNS + CUSTOMER_COLUMNS + OPTIONAL_COLUMNS)
    expected = ", ".join((*CUSTOMER_COLUMNS[:1], *REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))
    unknown = [c for c in columns if c not in allowed]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if not any(c in columns for c in CUSTOMER_COLUMNS):
        missing.insert(0, "customer_ref")
    if unknown or missing or len(set(columns)) != len(columns):
        raise OrderImportError(
            _("Wrong header. Expected the columns %(expected)s (customer may replace customer_ref); %(problem)s.")
            % {
                "expected": expected,
                "problem": "; ".join(
                    filter(
                        None,
                        [
                            _("missing: %(cols)s") % {"cols": ", ".join(missing)} if missing else "",
                            _("unknown: %(cols)s") % {"cols": ", ".join(unknown)} if unknown else "",
                            _("repeated columns") if len(set(columns)) != len(columns) else "",
                        ],
                    )
                ),
            }
        )
    return {name: i for i, name in enumerate(columns)}


def _copy_text(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


# Values in these common shapes go to PostgreSQL as written (it reads them exactly as Python does); anything
# else is normalised first. Naive times are read in TIME_ZONE: the COPY session uses it.
PLAIN_MONEY = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?", re.ASCII).fullmatch
PLAIN_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?(?:[+-][0-9]{2}:[0-9]{2}|Z)?",
    re.ASCII,
).fullmatch


def _parsed_rows(reader, columns: dict[str, int], report: ImportReport, source: str, label: str):
    """Yield (line, customer_key, ordered_at, ordered_at_text, amount_text, cost_text, source, external_ref)
    for each good row and record the bad ones in `report`. ordered_at may be naive (local time); the texts
    are exact decimal / ISO strings. This loop is the import's hot path: keep it lean."""
    by_id = "customer_ref" not in columns
    i_customer = columns["customer" if by_id else "customer_ref"]
    i_when, i_amount = columns["ordered_at"], columns["amount"]
    i_cost, i_source, i_ref = columns.get("cost"), columns.get("source"), columns.get("external_ref")
    width = len(columns)
    latest = timezone.now() + FUTURE_TOLERANCE
    local_tz = timezone.get_default_timezone()
    latest_naive = latest.astimezone(local_tz).replace(tzinfo=None)
    fromisoformat = datetime.fromisoformat
    plain_money, plain_time = PLAIN_MONEY, PLAIN_TIME
    add_error = report.add_error
    line = 1
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise OrderImportError(
                _("The file is not valid %(encoding)s text (after line %(line)d); choose the right encoding.")
                % {"encoding": label, "line": line}
            ) from None
        except csv.Error as exc:
            raise OrderImportError(
                _("Line %(line)d is not valid CSV: %(error)s") % {"line": line + 1, "error": exc}
            ) from None
        line += 1
        if len(row) != width:
            if not any(cell.strip() for cell in row):
                continue
            report.rows += 1
            add_error(line, "", _("Expected %(n)d columns, found %(m)d.") % {"n": width, "m": len(row)})
            continue
        report.rows += 1
        ok = True
        customer = row[i_customer].strip()
        if not customer:
            add_error(line, "customer" if by_id else "customer_ref", _("This field is required."))
            ok = False
        elif by_id and not customer.isdigit():
            add_error(line, "customer", _("A customer id is required."))
            ok = False
        elif len(customer) > 100:
            add_error(line, "customer_ref", _("At most %(n)d characters.") % {"n": 100})
            ok = False
        when_text = row[i_when].strip()
        when = None
        try:
            when = fromisoformat(when_text)
            if when > (latest if when.tzinfo else latest_naive):
                add_error(line, "ordered_at", _("Must not be more than a day in the future."))
                ok = False
            elif not plain_time(when_text):
                when_text = (when if when.tzinfo else when.replace(tzinfo=local_tz)).isoformat()
        except ValueError:
            add_error(
                line,
                "ordered_at",
                _("This field is required.") if not when_text else _("Enter a date and time as YYYY-MM-DD HH:MM."),
            )
            ok = False
        amount = row[i_amount]
        if not plain_money(amount):
            try:
                amount = str(parse_money(amount))
            except ValueError as exc:
                add_error(line, "amount", str(exc))
                ok = False
        cost = "0"
        if i_cost is not None:
            cost = row[i_cost]
            if not plain_money(cost):
                try:
                    cost = str(parse_money(cost, required=False))
                except ValueError as exc:
                    add_error(line, "cost", str(exc))
                    ok = False
        row_source = source
        if i_source is not None:
            row_source = row[i_source].strip() or source
            if len(row_source) > 50:
                add_error(line, "source", _("At most %(n)d characters.") % {"n": 50})
                ok = False
        ref = None
        if i_ref is not None:
            ref = row[i_ref].strip() or None
            if ref is not None and len(ref) > 100:
                add_error(line, "external_ref", _("At most %(n)d characters.") % {"n": 100})
                ok = False
        if ok:
            yield line, customer, when, when_text, amount, cost, row_source, ref


def import_orders(
    *,
    actor,
    stream: BinaryIO,
    encoding: str = "auto",
    source: str = IMPORT_SOURCE,
    all_or_nothing: bool = True,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import an orders CSV read from the binary, seekable `stream`, never holding the whole file.

    Columns: customer_ref (or customer, the id), ordered_at, amount, and optionally cost, source, external_ref.
    Known (source, external_ref) pairs are skipped and counted as duplicates, so re-importing a file is
    harmless. With `all_or_nothing` (the default) any bad row means nothing is stored; otherwise the good
    rows are stored and the bad ones reported. Raises OrderImportError when the file cannot be read at all.
    """
    if encoding not in ENCODINGS:
        raise OrderImportError(_("Unknown encoding “%(encoding)s”.") % {"encoding": encoding})
    start = stream.tell()
    stream.seek(0, io.SEEK_END)
    size = max(1, stream.tell() - start)
    stream.seek(start)
    if ENCODINGS[encoding] is None:
        codec, label = _detect_encoding(stream.read(256 * 1024))
        stream.seek(start)
    else:
        codec, label = ENCODINGS[encoding], encoding

    def read(import_rows: Callable) -> ImportReport:
        report = ImportReport(encoding=label)
        stream.seek(start)
        text = io.TextIOWrapper(stream, encoding=codec, errors="strict", newline="")
        try:
            reader = csv.reader(text)
            columns = _read_header(reader, label)

            def read_progress() -> int:
                return min(85, int(85 * (stream.tell() - start) / size))

            rows = _parsed_rows(reader, columns, report, source, label)
            by_id = "customer_ref" not in columns
            import_rows(actor, rows, by_id, report, all_or_nothing, progress, read_progress)
        finally:
            text.detach()
        return report

    if connection.vendor == "postgresql":
        try:
            report = read(_import_postgresql_clean)
        except _NeedsRowReport:
            # Something needs reporting row by row (errors, known or repeated refs): read the file again
            # through the staging table, which reports each row exactly.
            report = read(_import_postgresql)
    else:
        report = read(_import_generic)
    if progress:
        progress(100)
    return report


def _import_generic(actor, rows, by_id, report, all_or_nothing, progress, read_progress) -> None:
    """Batched bulk_create (SQLite, the embedded default): one transaction, refs seen kept in memory."""
    scope = _customer_scope(actor).order_by()
    local_tz = timezone.get_default_timezone()
    seen: dict[tuple[str, str], int] = {}
    touched: set[int] = set()
    with transaction.atomic():
        batch: list = []

        def flush():
            if not batch:
                return
            keys = {r[1] for r in batch}
            if by_id:
                known = {str(pk): pk for pk in scope.filter(pk__in=[int(k) for k in keys]).values_list("pk", flat=True)}
            else:
                known = dict(scope.filter(external_ref__in=keys).values_list("external_ref", "pk"))
            refs = {(r[6], r[7]) for r in batch if r[7] is not None}
            existing = set()
            if refs:
                existing = set(
                    Order.objects.filter(
                        source__in={s for s, _r in refs}, external_ref__in={r for _s, r in refs}
                    ).values_list("source", "external_ref")
                )
            new = []
            for line, key, when, _when_text, amount, cost, row_source, ref in batch:
                customer_id = known.get(key)
                if customer_id is None:
                    report.add_error(
                        line, "customer" if by_id else "customer_ref", _("Unknown customer, or outside your scope.")
                    )
                    continue
                if ref is not None:
                    if (row_source, ref) in seen:
                        report.add_error(
                            line,
                            "external_ref",
                            _("Repeated in this file (first at line %(line)d).") % {"line": seen[(row_source, ref)]},
                        )
                        continue
                    seen[(row_source, ref)] = line
                    if (row_source, ref) in existing:
                        report.duplicates += 1
                        continue
                new.append(
                    Order(
                        customer_id=customer_id,
                        ordered_at=when if when.tzinfo else timezone.make_aware(when, local_tz),
                        amount=Decimal(amount),
                        cost=Decimal(cost),
                        source=row_source,
                        external_ref=ref,
                    )
                )
                touched.add(customer_id)
            if not (all_or_nothing and report.error_count):
                Order.objects.bulk_create(new)
                report.created += len(new)
            batch.clear()
            if progress:
                progress(read_progress())

        for row in rows:
            batch.append(row)
            if len(batch) >= GENERIC_BATCH_ROWS:
                flush()
        flush()
        if all_or_nothing and report.error_count:
            transaction.set_rollback(True)
            report.created = 0
            return
        _promote_targets(touched)
        report.committed = True


class _NeedsRowReport(Exception):
    """The file is not clean: the fast path stops and the import starts again with per-row reporting."""


CLEAN_CHUNK_ROWS = 20_000
LEDGER_COLUMNS = "customer_id, ordered_at, amount, cost, source, external_ref, created_at"


def _import_postgresql_clean(actor, rows, by_id, report, all_or_nothing, progress, read_progress) -> None:
    """The fast path for a clean file (the usual case): every row valid, every customer known and in scope,
    no ref already in the ledger or repeated in the file. Chunk by chunk, one query looks up the chunk's
    customers, then COPY writes the rows straight into the ledger (PostgreSQL batches a COPY's heap writes;
    an INSERT … SELECT writes row by row). All in one transaction; at the first thing that needs a per-row
    report (including a known or repeated ref, which the unique index refuses), everything is rolled back
    and _NeedsRowReport raised."""
    # The SQL below is composed only of constants and the ORM's own SQL for the scope (with its params).
    scope_sql, scope_params = (
        _customer_scope(actor).order_by().values("id", "external_ref", "stage").query.sql_with_params()
    )
    key_text, key_column = ("CAST(c.id AS text)", "c.id") if by_id else ("c.external_ref", "c.external_ref")
    lookup_sql = f"SELECT {key_text}, c.id, c.stage FROM ({scope_sql}) c WHERE {key_column} = ANY(%s)"  # noqa: S608
    created_at = timezone.now().isoformat()
    copy_sql = f"COPY customers_order ({LEDGER_COLUMNS}) FROM STDIN"
    copy_text = _copy_text
    targets: set[int] = set()
    created = 0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            rows = iter(rows)
            while True:
                chunk = []
                for row in rows:
                    chunk.append(row)
                    if len(chunk) >= CLEAN_CHUNK_ROWS:
                        break
                if report.error_count:
                    raise _NeedsRowReport
                if not chunk:
                    break
                keys = {row[1] for row in chunk}
                # Arrays as single parameters: cheap to send, whatever the chunk's size.
                if by_id:
                    if any(len(k) > 18 for k in keys):  # not a bigint: no such customer
                        raise _NeedsRowReport
                    cursor.execute(lookup_sql, [*scope_params, [int(k) for k in keys]])
                else:
                    cursor.execute(lookup_sql, [*scope_params, list(keys)])
                customer_ids = {}
                for key, pk, stage in cursor.fetchall():
                    customer_ids[key] = pk
                    if stage == Stage.TARGET:
                        targets.add(pk)
                if len(customer_ids) != len(keys):
                    raise _NeedsRowReport
                refs_by_source: dict[str, list[str]] = {}
                if not created:
                    for row in chunk:
                        if row[7] is not None:
                            refs_by_source.setdefault(row[6], []).append(row[7])
                # Only the first chunk is checked for refs the ledger knows: that catches a re-imported file
                # at once, and after it the unique index refuses any known ref as the COPY writes it (no
                # second probe per row).
                for row_source, refs in refs_by_source.items():
                    cursor.execute(
                        "SELECT EXISTS (SELECT 1 FROM customers_order WHERE source = %s AND external_ref = ANY(%s))",
                        [row_source, refs],
                    )
                    if cursor.fetchone()[0]:
                        raise _NeedsRowReport
                cursor.execute("SELECT set_config('TimeZone', %s, true)", [timezone.get_default_timezone_name()])
                # cursor.copy() is psycopg's own: wrap it so a lost connection or a refused row arrives as
                # Django's DatabaseError / IntegrityError, like every other statement's.
                with connection.wrap_database_errors, cursor.copy(copy_sql) as copy:
                    buffer = []
                    for _line, key, _when, when_text, amount, cost, row_source, ref in chunk:
                        buffer.append(
                            f"{customer_ids[key]}\t{when_text}\t{amount}\t{cost}\t{copy_text(row_source)}\t"
                            f"{NULL if ref is None else copy_text(ref)}\t{created_at}\n"
                        )
                        if len(buffer) >= 5000:
                            copy.write("".join(buffer))
                            buffer.clear()
                    copy.write("".join(buffer))
                cursor.execute("SELECT set_config('TimeZone', %s, true)", [connection.timezone_name])
                created += len(chunk)
                if progress:
                    progress(read_progress())
            report.created = created
            _promote_targets(targets)
            report.committed = True
    except IntegrityError:
        raise _NeedsRowReport from None


STAGING_COLUMNS = "line_no, customer_key, ordered_at, amount, cost, source, external_ref"


def _import_postgresql(actor, rows, by_id, report, all_or_nothing, progress, read_progress) -> None:
    """COPY the good rows into a session temp table in chunks (progress commits between chunks), then
    check customers and in-file repeats and insert everything in one transaction."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS order_import_staging")
        cursor.execute(
            "CREATE TEMPORARY TABLE order_import_staging (line_no integer NOT NULL, customer_key text NOT NULL, "
            "ordered_at timestamptz NOT NULL, amount numeric(14, 2) NOT NULL, cost numeric(14, 2) NOT NULL, "
            "source varchar(50) NOT NULL, external_ref varchar(100))"
        )
        try:
            staged = _copy_rows(cursor, rows, progress, read_progress)
            with transaction.atomic():
                _insert_staged(cursor, actor, by_id, staged, report, all_or_nothing)
        finally:
            cursor.execute("DROP TABLE IF EXISTS order_import_staging")


NULL = "\\N"


def _copy_rows(cursor, rows, progress, read_progress) -> int:
    """COPY the rows in chunks; returns how many were staged."""
    copy_sql = f"COPY order_import_staging ({STAGING_COLUMNS}) FROM STDIN"
    copy_text = _copy_text
    staged = 0
    exhausted = False
    while not exhausted:
        exhausted = True
        buffer: list[str] = []
        in_chunk = 0
        # A savepoint per chunk: a bad file aborts only the chunk, never an enclosing transaction. Naive
        # times in the file are local: the chunk reads them in TIME_ZONE (set back right after).
        with transaction.atomic():
            cursor.execute("SELECT set_config('TimeZone', %s, true)", [timezone.get_default_timezone_name()])
            with connection.wrap_database_errors, cursor.copy(copy_sql) as copy:
                for line, key, _when, when_text, amount, cost, row_source, ref in rows:
                    buffer.append(
                        f"{line}\t{copy_text(key)}\t{when_text}\t{amount}\t{cost}\t{copy_text(row_source)}\t"
                        f"{NULL if ref is None else copy_text(ref)}\n"
                    )
                    in_chunk += 1
                    if len(buffer) >= 5000:
                        copy.write("".join(buffer))
                        buffer.clear()
                    if in_chunk >= PG_BATCH_ROWS:
                        exhausted = False
                        break
                if buffer:
                    copy.write("".join(buffer))
            cursor.execute("SELECT set_config('TimeZone', %s, true)", [connection.timezone_name])
        staged += in_chunk
        if progress:
            progress(read_progress())
    return staged


def _insert_staged(cursor, actor, by_id: bool, staged: int, report: ImportReport, all_or_nothing: bool) -> None:
    """Check the staged rows against the customers in scope and against each other, then insert them.
    Each pass over the staging table counts: one for customers (and targets to promote), one for repeated
    refs, one for the insert."""
    # The SQL below is composed only of constants and the ORM's own SQL for the scope (with its params).
    scope = _customer_scope(actor).order_by().values("id", "external_ref", "stage")
    scope_sql, scope_params = scope.query.sql_with_params()
    key = "CAST(c.id AS text)" if by_id else "c.external_ref"
    field_name = "customer" if by_id else "customer_ref"
    join = f"JOIN ({scope_sql}) c ON {key} = s.customer_key"
    limit = ERROR_REPORT_LIMIT
    # Room for the hash joins and aggregates over the staged rows, for this transaction only.
    cursor.execute("SELECT set_config('work_mem', '128MB', true)")

    cursor.execute(
        "SELECT count(*) FILTER (WHERE c.id IS NULL), "  # noqa: S608
        f"array_agg(DISTINCT c.id) FILTER (WHERE c.stage = %s) FROM order_import_staging s LEFT {join}",
        [Stage.TARGET, *scope_params],
    )
    unknown, targets = cursor.fetchone()
    if unknown:
        cursor.execute(
            f"SELECT s.line_no FROM order_import_staging s LEFT {join} WHERE c.id IS NULL "  # noqa: S608
            f"ORDER BY s.line_no LIMIT {limit}",
            scope_params,
        )
        for (line,) in cursor.fetchall():
            report.add_error(line, field_name, _("Unknown customer, or outside your scope."))
        report.error_count += max(0, unknown - limit)

    repeats_sql = (
        "FROM order_import_staging s JOIN ("
        " SELECT source, external_ref, min(line_no) AS first_line FROM order_import_staging"
        " WHERE external_ref IS NOT NULL GROUP BY source, external_ref HAVING count(*) > 1"
        ") f ON f.source = s.source AND f.external_ref = s.external_ref AND s.line_no > f.first_line"
    )
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM order_import_staging WHERE external_ref IS NOT NULL "
        "GROUP BY source, external_ref HAVING count(*) > 1)"
    )
    repeated = []
    if cursor.fetchone()[0]:
        cursor.execute(f"SELECT s.line_no, f.first_line {repeats_sql} ORDER BY s.line_no LIMIT {limit}")
        repeated = cursor.fetchall()
    repeats = len(repeated)
    for line, first_line in repeated:
        report.add_error(
            line, "external_ref", _("Repeated in this file (first at line %(line)d).") % {"line": first_line}
        )
    if repeats == limit:
        cursor.execute(f"SELECT count(*) {repeats_sql}")
        repeats = cursor.fetchone()[0]
        report.error_count += repeats - limit
    if all_or_nothing and report.error_count:
        report.created = 0
        return
    # ON CONFLICT probes the unique index once per row, whatever the ledger's size; an anti-join instead
    # leaves the plan to the statistics, and a nested loop over the table being filled is quadratic.
    cursor.execute(
        "INSERT INTO customers_order (customer_id, ordered_at, amount, cost, source, external_ref, created_at) "  # noqa: S608
        f"SELECT c.id, s.ordered_at, s.amount, s.cost, s.source, s.external_ref, now() "
        f"FROM order_import_staging s {join} "
        "ON CONFLICT (source, external_ref) WHERE external_ref IS NOT NULL DO NOTHING",
        scope_params,
    )
    report.created = cursor.rowcount
    report.duplicates = max(0, staged - unknown - repeats - report.created)
    _promote_targets(targets or [])
    report.committed = True


# --- import jobs (the page and the API queue these; a worker runs them) -------------------------------

IMPORT_JOB_KIND = "order_import"


def _import_folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "order-imports"


@transaction.atomic
def start_order_import(
    *, actor, upload, encoding: str = "auto", source: str = IMPORT_SOURCE, all_or_nothing: bool = True
) -> Job:
    """Keep the uploaded CSV on disk (streamed in chunks) and queue its import as a background job."""
    from customers.tasks_orders import import_orders_task

    if encoding not in ENCODINGS:
        raise ValidationError({"encoding": [_("Unknown encoding “%(encoding)s”.") % {"encoding": encoding}]})
    source = _text(source, max_length=50) or IMPORT_SOURCE
    folder = _import_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.csv"
    with path.open("wb") as out:
        for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b""):
            out.write(chunk)
    job = create_job(
        actor=actor,
        kind=IMPORT_JOB_KIND,
        parameters={
            "path": str(path),
            "filename": str(getattr(upload, "name", path.name))[:200],
            "encoding": encoding,
            "source": source,
            "all_or_nothing": all_or_nothing,
        },
    )

    def enqueue():
        try:
            import_orders_task.delay(job.pk)
        except BrokerOperationalError:
            path.unlink(missing_ok=True)
            fail_job(job=job, message=str(_("The task broker is unavailable; try again later.")))

    transaction.on_commit(enqueue)
    return job


@contextmanager
def job_progress_reporter(job: Job):
    """A progress callback for `job` that others can see while the import runs. On PostgreSQL the import
    writes the ledger in one transaction, which hides its own writes (a progress update included) until it
    commits, so progress goes through a connection of its own, in autocommit."""
    if connection.vendor != "postgresql":
        yield lambda value: report_job_progress(job=job, progress=min(value, 99))
        return
    import psycopg

    params = {k: v for k, v in connection.get_connection_params().items() if k not in ("cursor_factory", "context")}
    update = f"UPDATE {Job._meta.db_table} SET progress = %s, heartbeat_at = now() WHERE id = %s"  # noqa: S608
    side = None

    def report(value: int) -> None:
        nonlocal side
        job.progress = max(0, min(int(value), 99))
        try:
            if side is None:
                side = psycopg.connect(autocommit=True, **params)
            side.execute(update, [job.progress, job.pk])
        except psycopg.Error:
            pass  # progress is a courtesy: the import must not fail for want of a second connection

    try:
        yield report
    finally:
        if side is not None:
            side.close()


def run_order_import(*, job: Job) -> Job:
    """Run a queued import job once (a repeated delivery does nothing), reporting progress as it reads."""
    if not start_job(job=job):
        return job
    params = job.parameters
    path = Path(params["path"])
    actor = job.created_by

    try:
        with path.open("rb") as stream, job_progress_reporter(job) as progress:
            report = import_orders(
                actor=actor,
                stream=stream,
                encoding=params.get("encoding", "auto"),
                source=params.get("source", IMPORT_SOURCE),
                all_or_nothing=params.get("all_or_nothing", True),
                progress=progress,
            )
    except OrderImportError as exc:
        fail_job(job=job, message=" ".join(exc.messages))
        return job
    except FileNotFoundError:
        fail_job(job=job, message=str(_("The uploaded file is gone; upload it again.")))
        return job
    except (DatabaseError, psycopg.Error):  # COPY goes through psycopg's own cursor: its errors are not Django's
        # The connection was lost mid-import (the import's transaction rolled back with it): reconnect to say
        # so, or the job would stay "running" for ever.
        if not connection.in_atomic_block:
            connection.close()
        fail_job(job=job, message=str(_("The database connection was lost during the import; upload the file again.")))
        return job
    finally:
        path.unlink(missing_ok=True)
    if report.committed:
        finish_job(job=job, result=report.as_dict(), message=import_summary(report))
    else:
        fail_job(job=job, result=report.as_dict(), message=import_summary(report))
    return job


def import_summary(report: ImportReport) -> str:
    if not report.committed:
        return _("%(errors)d rows have errors; nothing was imported.") % {"errors": report.error_count}
    message = _("%(created)d orders imported, %(duplicates)d already known.") % {
        "created": report.created,
        "duplicates": report.duplicates,
    }
    if report.error_count:
        message += " " + _("%(errors)d rows with errors were skipped.") % {"errors": report.error_count}
    return message
