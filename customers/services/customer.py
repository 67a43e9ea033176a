"""Customer writes: creation and edits, lifecycle moves, relationship levels, contacts, MAN qualification,
evaluation scorecards and the customer import."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from crm.access import can_act_for_owner, is_admin, is_manager, visible_owner_ids
from crm.models import Territory
from customers.models import (
    CompetitorBrand,
    Contact,
    Customer,
    Evaluation,
    EvaluationScore,
    Qualification,
    RelationshipLevel,
    RelationshipLevelChange,
    Scorecard,
    ScorecardIndicator,
    Stage,
    StageChange,
)
from customers.selectors.customer import find_duplicate_customer

# Allowed lifecycle moves after creation (DESIGN §3).
STAGE_MOVES = {
    (Stage.POTENTIAL, Stage.TARGET),
    (Stage.TARGET, Stage.CURRENT),
    (Stage.CURRENT, Stage.DORMANT),
    (Stage.DORMANT, Stage.CURRENT),
}

# Fields a customer edit may change directly; stage and relationship level go through their own services.
EDITABLE_FIELDS = {
    "name",
    "external_ref",
    "owner",
    "territory",
    "industry",
    "city",
    "address",
    "phone",
    "source",
    "notes",
    "business_area_m2",
    "years_in_business",
    "staff_count",
    "monthly_purchase_volume",
    "distribution_reach",
    "credit_notes",
}


class DuplicateCustomerError(ValidationError):
    """The owner already has a customer with this name and phone; `existing` is that customer."""

    def __init__(self, existing: Customer):
        self.existing = existing
        super().__init__(
            {
                "name": [
                    _(
                        "%(owner)s already has a customer named “%(name)s” with this phone (#%(id)s). "
                        "Open it, or confirm to create a duplicate anyway."
                    )
                    % {"owner": existing.owner, "name": existing.name, "id": existing.pk}
                ]
            }
        )


def resolve_owner(*, actor, owner=None, customer_fields: dict | None = None):
    """DESIGN §3: the given owner (admins/managers within scope); else the acting rep; else the first
    matching assignment rule; else the actor."""
    if owner is not None:
        if not (is_admin(actor) or is_manager(actor) or getattr(owner, "pk", owner) == actor.pk):
            raise ValidationError({"owner": [_("Only managers and admins may choose the owner.")]})
        if not can_act_for_owner(actor, owner):
            raise ValidationError({"owner": [_("This owner is outside your scope.")]})
        return owner
    if actor.role == "rep" and not actor.is_admin_role:
        return actor
    from customers.services import assignment

    rule_owner = assignment.owner_from_rules(customer_fields=customer_fields or {})
    return rule_owner or actor


def _check_text_lengths(customer: Customer) -> None:
    """TextField max_length is only a form hint in Django; enforce it for every writer (API, import, admin)."""
    errors = {
        f.name: [_("Ensure this value has at most %(n)d characters.") % {"n": f.max_length}]
        for f in Customer._meta.fields
        if f.get_internal_type() == "TextField" and f.max_length and len(getattr(customer, f.name) or "") > f.max_length
    }
    if errors:
        raise ValidationError(errors)


def _check_duplicate(*, owner, name: str, phone: str, exclude_pk: int | None, confirm_duplicate: bool) -> None:
    if confirm_duplicate:
        return
    existing = find_duplicate_customer(owner=owner, name=name, phone=phone, exclude_pk=exclude_pk)
    if existing is not None:
        raise DuplicateCustomerError(existing)


@transaction.atomic
def create_customer(
    *,
    actor,
    name: str,
    stage: str = Stage.POTENTIAL,
    owner=None,
    reason: str = "",
    confirm_duplicate: bool = True,
    **fields,
) -> Customer:
    """Create a customer at any stage; records the initial StageChange (and level change).

    With `confirm_duplicate=False` a customer of the same owner with the same name and phone is refused with a
    DuplicateCustomerError naming it (pages and the API ask first; imports and the system do not)."""
    brands = fields.pop("brands_carried", None)
    level = fields.pop("relationship_level", None)
    if isinstance(level, str):
        level = RelationshipLevel.objects.filter(code=level).first() or _unknown_level(level)
    owner = resolve_owner(actor=actor, owner=owner, customer_fields={"name": name, **fields})
    customer = Customer(name=name, stage=stage, owner=owner, relationship_level=level, **fields)
    customer.full_clean()
    _check_text_lengths(customer)
    _check_duplicate(owner=owner, name=name, phone=customer.phone, exclude_pk=None, confirm_duplicate=confirm_duplicate)
    customer.save()
    if brands:
        customer.brands_carried.set(brands)
    StageChange.objects.create(
        customer=customer, from_stage="", to_stage=stage, changed_by=actor, changed_at=timezone.now(), reason=reason
    )
    if level is not None:
        RelationshipLevelChange.objects.create(
            customer=customer,
            from_level=None,
            to_level=level,
            changed_by=actor,
            changed_at=timezone.now(),
            reason=reason,
        )
    return customer


def _unknown_level(code: str):
    raise ValidationError({"relationship_level": [_("Unknown relationship level “%(code)s”.") % {"code": code}]})


def _require_scope(actor, customer: Customer) -> None:
    if not can_act_for_owner(actor, customer.owner_id):
        raise PermissionDenied(_("This customer is outside your scope."))


@transaction.atomic
def update_customer(
    *,
    actor,
    customer: Customer,
    reason: str = "",
    confirm_duplicate: bool = False,
    **fields,
) -> Customer:
    """Edit a customer. A different `stage` goes through `transition_stage`, a different `relationship_level`
    (code or level) through `change_relationship_level`, so their rules and history apply."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _require_scope(actor, customer)
    stage = fields.pop("stage", None)
    level = fields.pop("relationship_level", None)
    brands = fields.pop("brands_carried", None)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    if "owner" in fields:
        new_owner = fields["owner"]
        if new_owner is None:
            raise ValidationError({"owner": [_("A customer must have an owner.")]})
        if new_owner.pk != customer.owner_id:
            resolve_owner(actor=actor, owner=new_owner)
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.full_clean()
    _check_text_lengths(customer)
    _check_duplicate(
        owner=customer.owner,
        name=customer.name,
        phone=customer.phone,
        exclude_pk=customer.pk,
        confirm_duplicate=confirm_duplicate,
    )
    customer.save()
    if brands is not None:
        customer.brands_carried.set(brands)
    if stage is not None and stage != customer.stage:
        transition_stage(actor=actor, customer=customer, to_stage=stage, reason=reason)
    if level is not None:
        code = level if isinstance(level, str) else level.code
        if code != getattr(customer.relationship_level, "code", None):
            change_relationship_level(actor=actor, customer=customer, level_code=code, reason=reason)
    customer.refresh_from_db()
    return customer


@transaction.atomic
def transition_stage(*, actor, customer: Customer, to_stage: str, reason: str = "") -> StageChange:
    """Move a customer one step along the lifecycle; anything else is refused."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not (actor.username == "system" or can_act_for_owner(actor, customer.owner_id)):
        raise PermissionDenied(_("This customer is outside your scope."))
    if to_stage not in Stage.values:
        raise ValidationError({"stage": [_("Unknown stage “%(stage)s”.") % {"stage": to_stage}]})
    if (customer.stage, to_stage) not in STAGE_MOVES:
        raise ValidationError(
            {
                "stage": [
                    _("A %(from)s customer cannot move to %(to)s.")
                    % {"from": Stage(customer.stage).label, "to": Stage(to_stage).label}
                ]
            }
        )
    change = StageChange(
        customer=customer,
        from_stage=customer.stage,
        to_stage=to_stage,
        changed_by=actor,
        changed_at=timezone.now(),
        reason=reason[:500],
    )
    change.full_clean()
    change.save()
    customer.stage = to_stage
    customer.save(update_fields=["stage", "updated_at"])
    return change


@transaction.atomic
def change_relationship_level(
    *, actor, customer: Customer, level_code: str, reason: str = ""
) -> RelationshipLevelChange:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not can_act_for_owner(actor, customer.owner_id):
        raise PermissionDenied(_("This customer is outside your scope."))
    level = RelationshipLevel.objects.filter(code=level_code).first() or _unknown_level(level_code)
    change = RelationshipLevelChange(
        customer=customer,
        from_level=customer.relationship_level,
        to_level=level,
        changed_by=actor,
        changed_at=timezone.now(),
        reason=reason[:500],
    )
    change.full_clean()
    change.save()
    customer.relationship_level = level
    customer.save(update_fields=["relationship_level", "updated_at"])
    return change


# --- contacts ------------------------------------------------------------------------------------------------

CONTACT_FIELDS = {"name", "title", "phone", "email", "authority"}


@transaction.atomic
def create_contact(*, actor, customer: Customer, **fields) -> Contact:
    _require_scope(actor, customer)
    unknown = set(fields) - CONTACT_FIELDS
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    contact = Contact(customer=customer, **fields)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def update_contact(*, actor, contact: Contact, customer: Customer | None = None, **fields) -> Contact:
    _require_scope(actor, contact.customer)
    if customer is not None and customer.pk != contact.customer_id:
        _require_scope(actor, customer)
        contact.customer = customer
    unknown = set(fields) - CONTACT_FIELDS
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def delete_contact(*, actor, contact: Contact) -> None:
    _require_scope(actor, contact.customer)
    contact.delete()


# --- MAN qualification ---------------------------------------------------------------------------------------

QUALIFIABLE_STAGES = {Stage.POTENTIAL, Stage.TARGET}


@transaction.atomic
def qualify(*, actor, customer: Customer, money: str, authority: str, need: str, notes: str = "") -> Qualification:
    """Record the MAN answers of a prospect (potential or target); qualified when all three are yes."""
    _require_scope(actor, customer)
    if customer.stage not in QUALIFIABLE_STAGES:
        raise ValidationError({"stage": [_("Only potential and target customers are qualified.")]})
    qualification = Qualification.objects.filter(customer=customer).first() or Qualification(customer=customer)
    qualification.money = money
    qualification.authority = authority
    qualification.need = need
    qualification.notes = notes
    qualification.updated_by = actor
    qualification.updated_at = timezone.now()
    qualification.full_clean()
    qualification.save()
    return qualification


# --- evaluation scorecard ------------------------------------------------------------------------------------

SCORE_QUANTUM = Decimal("0.01")


def validate_indicator_weights(*, weights: list[Decimal]) -> None:
    """The weights of a scorecard must sum to exactly 1 (decimal arithmetic, no tolerance)."""
    if not weights:
        raise ValidationError({"indicators": [_("A scorecard needs at least one indicator.")]})
    total = sum((Decimal(w) for w in weights), Decimal("0"))
    if total != Decimal("1"):
        raise ValidationError(
            {
                "indicators": [
                    _("The indicator weights must sum to exactly 1 (they sum to %(total)s).") % {"total": total}
                ]
            }
        )


def indicator_score(*, actual: Decimal, standard: Decimal, weight: Decimal, cap: Decimal) -> Decimal:
    """min(actual / standard, cap) × 100 × weight, rounded half up to 0.01."""
    ratio = min(Decimal(actual) / Decimal(standard), Decimal(cap))
    return (ratio * 100 * Decimal(weight)).quantize(SCORE_QUANTUM, rounding=ROUND_HALF_UP)


@transaction.atomic
def define_scorecard(
    *, actor, name: str, indicators: list[Mapping], cap: Decimal = Decimal("1.50"), active: bool = True
) -> Scorecard:
    """Create a scorecard with its indicators (admins only); weights must sum to exactly 1."""
    if not is_admin(actor):
        raise PermissionDenied(_("Only administrators may do this."))
    validate_indicator_weights(weights=[Decimal(str(i.get("weight", "0"))) for i in indicators])
    scorecard = Scorecard(name=name, cap=cap, active=active)
    scorecard.full_clean()
    scorecard.save()
    for position, item in enumerate(indicators):
        indicator = ScorecardIndicator(
            scorecard=scorecard,
            name=item["name"],
            weight=Decimal(str(item["weight"])),
            standard_ratio=Decimal(str(item["standard_ratio"])),
            position=item.get("position", position),
        )
        indicator.full_clean()
        indicator.save()
    return scorecard


EVALUABLE_STAGES = {Stage.TARGET}


@transaction.atomic
def evaluate(
    *,
    actor,
    customer: Customer,
    scorecard: Scorecard,
    actual_ratios: Mapping[int, Decimal],
    notes: str = "",
) -> Evaluation:
    """Evaluate a target customer: one actual ratio per indicator of the scorecard; stores every indicator score
    and their total."""
    _require_scope(actor, customer)
    if customer.stage not in EVALUABLE_STAGES:
        raise ValidationError({"stage": [_("Only target customers are evaluated.")]})
    indicators = list(scorecard.indicators.all())
    validate_indicator_weights(weights=[i.weight for i in indicators])
    errors: dict[str, list[str]] = {}
    ratios: dict[int, Decimal] = {}
    for indicator in indicators:
        raw = actual_ratios.get(indicator.pk)
        key = f"indicator_{indicator.pk}"
        try:
            value = Decimal(str(raw)) if raw not in (None, "") else None
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            errors[key] = [_("Enter the actual ratio.")]
        elif value < 0:
            errors[key] = [_("The actual ratio cannot be negative.")]
        else:
            ratios[indicator.pk] = value
    unknown = set(actual_ratios) - {i.pk for i in indicators}
    if unknown:
        errors["indicators"] = [_("These indicators are not on the scorecard: %(ids)s.") % {"ids": sorted(unknown)}]
    if errors:
        raise ValidationError(errors)
    scores = [
        EvaluationScore(
            indicator=indicator,
            actual_ratio=ratios[indicator.pk],
            score=indicator_score(
                actual=ratios[indicator.pk],
                standard=indicator.standard_ratio,
                weight=indicator.weight,
                cap=scorecard.cap,
            ),
        )
        for indicator in indicators
    ]
    evaluation = Evaluation(
        customer=customer,
        scorecard=scorecard,
        evaluated_by=actor,
        evaluated_at=timezone.now(),
        total_score=sum((s.score for s in scores), Decimal("0")),
        notes=notes,
    )
    evaluation.full_clean()
    evaluation.save()
    for score in scores:
        score.evaluation = evaluation
        score.full_clean()
    EvaluationScore.objects.bulk_create(scores)
    return evaluation


# --- import --------------------------------------------------------------------------------------------------

IMPORT_COLUMNS = [
    "external_ref",
    "name",
    "stage",
    "relationship_level",
    "owner",
    "territory",
    "city",
    "address",
    "phone",
    "industry",
    "source",
    "notes",
    "business_area_m2",
    "years_in_business",
    "staff_count",
    "monthly_purchase_volume",
    "distribution_reach",
    "credit_notes",
]
DECIMAL_COLUMNS = {"business_area_m2", "monthly_purchase_volume"}
INTEGER_COLUMNS = {"years_in_business", "staff_count"}
MAX_IMPORT_ROWS = 100_000
IMPORT_CHUNK = 500


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    imported: bool = False
    errors: list[dict] = field(default_factory=list)

    @property
    def valid(self) -> int:
        return self.total - len(self.errors)

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "valid": self.valid,
            "created": self.created,
            "updated": self.updated,
            "imported": self.imported,
            "errors": self.errors,
        }


def read_customer_file(*, file_name: str, content: bytes) -> list[dict]:
    """Rows of a CSV (UTF-8, with or without BOM, or GB18030 as Chinese Excel saves it) or XLSX file, as
    dicts keyed by the header's column names. Unknown columns are ignored; `name` is required."""
    if file_name.lower().endswith(".xlsx"):
        rows = _read_xlsx(content)
    elif file_name.lower().endswith((".csv", ".txt")):
        rows = _read_csv(content)
    else:
        raise ValidationError({"file": [_("Upload a .csv or .xlsx file.")]})
    if not rows:
        raise ValidationError({"file": [_("The file is empty.")]})
    header = [str(h or "").strip().lower() for h in rows[0]]
    if "name" not in header:
        raise ValidationError({"file": [_("The first row must name the columns, including “name”.")]})
    if len(rows) - 1 > MAX_IMPORT_ROWS:
        raise ValidationError({"file": [_("At most %(n)s rows per file.") % {"n": MAX_IMPORT_ROWS}]})
    known = [(i, h) for i, h in enumerate(header) if h in IMPORT_COLUMNS]
    result = []
    for row in rows[1:]:
        if not any(str(v or "").strip() for v in row):
            continue
        result.append({h: _cell(row[i]) if i < len(row) else "" for i, h in known})
    return result


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_csv(content: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError({"file": [_("The file is not UTF-8 or GB18030 text.")]})
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ValidationError({"file": [_("The CSV file is malformed: %(error)s") % {"error": exc}]}) from exc


def _read_xlsx(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise ValidationError({"file": [_("The XLSX file cannot be read.")]}) from exc
    sheet = workbook.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


class _ImportContext:
    """Lookups for a whole file, fetched once."""

    def __init__(self, *, actor, rows: list[dict]):
        User = get_user_model()
        self.actor = actor
        usernames = {r.get("owner", "") for r in rows} - {""}
        self.users = {u.username: u for u in User.objects.filter(username__in=usernames)}
        owner_ids = visible_owner_ids(actor)
        self.allowed_owner_ids = (
            None if owner_ids is None else set(User.objects.filter(pk__in=owner_ids).values_list("pk", flat=True))
        )
        self.levels = {lvl.code: lvl for lvl in RelationshipLevel.objects.all()}
        codes = {r.get("territory", "") for r in rows} - {""}
        self.territories = {t.code: t for t in Territory.objects.filter(code__in=codes)}
        refs = {r.get("external_ref", "") for r in rows} - {""}
        self.existing = {c.external_ref: c for c in Customer.objects.filter(external_ref__in=refs)}
        # Candidates for the duplicate check (same owner, name and phone) of rows without an external_ref.
        names = {r.get("name", "").strip().lower() for r in rows if not r.get("external_ref")} - {""}
        self.known_keys: dict[tuple, int] = {}
        if names:
            candidates = (
                Customer.objects.annotate(lower_name=Lower("name"))
                .filter(lower_name__in=names)
                .values_list("pk", "owner_id", "lower_name", "phone")
            )
            for pk, owner_id, lower_name, phone in candidates.order_by("pk"):
                self.known_keys.setdefault((owner_id, lower_name, phone), pk)
        self.seen_refs: dict[str, int] = {}
        self.seen_keys: dict[tuple, int] = {}

    def may_own(self, user) -> bool:
        return self.allowed_owner_ids is None or user.pk in self.allowed_owner_ids


def _validate_row(ctx: _ImportContext, row: dict, line: int) -> tuple[Customer | None, dict, dict]:
    """Build (without saving) the customer a row describes; returns (customer, changes, errors)."""
    errors: dict[str, list[str]] = {}
    values: dict = {}
    for column in IMPORT_COLUMNS:
        if column not in row:
            continue
        raw = row[column]
        if column in DECIMAL_COLUMNS:
            try:
                values[column] = Decimal(raw.replace(",", "")) if raw else None
            except InvalidOperation:
                errors[column] = [_("Enter a number.")]
        elif column in INTEGER_COLUMNS:
            try:
                values[column] = int(raw) if raw else None
            except ValueError:
                errors[column] = [_("Enter a whole number.")]
        else:
            values[column] = raw
    ref = values.pop("external_ref", "") or None
    existing = ctx.existing.get(ref) if ref else None
    if ref:
        if ref in ctx.seen_refs:
            # Leave the customer of the first row with this ref untouched.
            errors["external_ref"] = [_("Repeats row %(row)s.") % {"row": ctx.seen_refs[ref]}]
            return None, {}, errors
        ctx.seen_refs[ref] = line
    if existing is not None and not (ctx.allowed_owner_ids is None or existing.owner_id in ctx.allowed_owner_ids):
        errors["external_ref"] = [_("This customer is outside your scope.")]
        return None, {}, errors

    username = values.pop("owner", "")
    owner = None
    if username:
        owner = ctx.users.get(username)
        if owner is None:
            errors["owner"] = [_("Unknown user “%(name)s”.") % {"name": username}]
        elif not ctx.may_own(owner) or (
            owner.pk != ctx.actor.pk and not (is_admin(ctx.actor) or is_manager(ctx.actor))
        ):
            errors["owner"] = [_("This owner is outside your scope.")]
    level_code = values.pop("relationship_level", "")
    level = None
    if level_code:
        level = ctx.levels.get(level_code)
        if level is None:
            errors["relationship_level"] = [_("Unknown relationship level “%(code)s”.") % {"code": level_code}]
    territory_code = values.pop("territory", None)
    if territory_code:
        values["territory"] = ctx.territories.get(territory_code)
        if values["territory"] is None:
            errors["territory"] = [_("Unknown territory “%(code)s”.") % {"code": territory_code}]
    elif territory_code == "":
        values["territory"] = None
    stage = values.pop("stage", "")
    if stage and stage not in Stage.values:
        errors["stage"] = [_("Unknown stage “%(stage)s”.") % {"stage": stage}]

    if existing is not None:
        customer = existing
        if stage and stage != customer.stage and (customer.stage, stage) not in STAGE_MOVES:
            errors["stage"] = [
                _("A %(from)s customer cannot move to %(to)s.")
                % {"from": Stage(customer.stage).label, "to": Stage(stage).label}
            ]
        changes = {
            "stage": stage if stage and stage != customer.stage else None,
            "from_stage": customer.stage,
            "level": level if level is not None and level.pk != customer.relationship_level_id else None,
            "from_level_id": customer.relationship_level_id,
            "is_update": True,
        }
    else:
        customer = Customer(external_ref=ref, stage=stage or Stage.CURRENT)
        changes = {"stage": customer.stage, "from_stage": "", "level": level, "from_level_id": None, "is_update": False}
    for name, value in values.items():
        if name in EDITABLE_FIELDS:
            setattr(customer, name, value)
    if level is not None:
        customer.relationship_level = level
    if owner is not None:
        customer.owner = owner
    elif existing is None:
        # Rules are applied when the row is written (round-robin state must not move for rows never imported);
        # until then the actor stands in for validation.
        customer.owner = ctx.actor
        changes["owner_from_rules"] = {k: v for k, v in values.items() if k in ("city", "industry", "territory")}
    if stage and (existing is None or (changes["stage"] and "stage" not in errors)):
        customer.stage = stage
    try:
        # Foreign keys were resolved from the lookups above; skipping them here saves a query per row and key.
        customer.full_clean(
            exclude=["owner", "relationship_level", "territory"], validate_unique=False, validate_constraints=False
        )
        _check_text_lengths(customer)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if not errors and ref is None:
        key = (customer.owner_id, customer.name.strip().lower(), customer.phone.strip())
        if key in ctx.seen_keys:
            errors["name"] = [_("Repeats row %(row)s (same owner, name and phone).") % {"row": ctx.seen_keys[key]}]
        else:
            ctx.seen_keys[key] = line
            duplicate = ctx.known_keys.get((customer.owner_id, customer.name.strip().lower(), customer.phone.strip()))
            if duplicate is not None:
                errors["name"] = [
                    _("The owner already has this customer (#%(id)s); give its external_ref to update it.")
                    % {"id": duplicate}
                ]
    if existing is not None and errors:
        existing.refresh_from_db()
    return customer, changes, errors


def import_customers(
    *,
    actor,
    rows: list[dict],
    import_valid_rows: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate every row, then create new customers and update those matched by external_ref.

    A file with any bad row imports nothing unless `import_valid_rows`; the report lists each bad row's errors
    (rows are numbered as in a spreadsheet: the header is row 1). Validation runs outside the write
    transaction so that progress reports are visible while it runs; the writes are one transaction."""
    report = ImportReport(total=len(rows))
    ctx = _ImportContext(actor=actor, rows=rows)
    valid: list[tuple[Customer, dict]] = []
    for index, row in enumerate(rows):
        line = index + 2
        customer, changes, errors = _validate_row(ctx, row, line)
        if errors:
            report.errors.append({"row": line, "errors": errors})
        else:
            valid.append((customer, changes))
        if progress and index % IMPORT_CHUNK == 0:
            progress(int(90 * index / max(1, len(rows))))
    if report.errors and not import_valid_rows:
        return report
    if progress:
        progress(90)
    columns = set().union(*(row.keys() for row in rows)) if rows else set()
    _write_import(actor=actor, valid=valid, report=report, columns=columns)
    return report


@transaction.atomic
def _write_import(*, actor, valid: list[tuple[Customer, dict]], report: ImportReport, columns: set[str]) -> None:
    now = timezone.now()
    new = [(c, ch) for c, ch in valid if not ch["is_update"]]
    for customer, changes in new:
        if "owner_from_rules" in changes:
            customer.owner = resolve_owner(actor=actor, owner=None, customer_fields=changes["owner_from_rules"])
    for start in range(0, len(new), IMPORT_CHUNK):
        chunk = new[start : start + IMPORT_CHUNK]
        created = bulk_create_with_history(
            [c for c, _ch in chunk], Customer, default_user=actor, default_change_reason="import"
        )
        stage_changes, level_changes = [], []
        for customer, (_c, changes) in zip(created, chunk, strict=True):
            stage_changes.append(
                StageChange(
                    customer=customer,
                    from_stage="",
                    to_stage=customer.stage,
                    changed_by=actor,
                    changed_at=now,
                    reason="import",
                )
            )
            if changes["level"] is not None:
                level_changes.append(
                    RelationshipLevelChange(
                        customer=customer, to_level=changes["level"], changed_by=actor, changed_at=now, reason="import"
                    )
                )
        StageChange.objects.bulk_create(stage_changes)
        RelationshipLevelChange.objects.bulk_create(level_changes)
        report.created += len(created)
    updates = [(c, ch) for c, ch in valid if ch["is_update"]]
    # Only the columns the file has; one UPDATE per row is far cheaper than bulk_update's CASE per field and row.
    attnames = [Customer._meta.get_field(f).attname for f in sorted(EDITABLE_FIELDS & columns)]
    attnames += ["stage", "relationship_level_id", "updated_at"]
    for start in range(0, len(updates), IMPORT_CHUNK):
        chunk = updates[start : start + IMPORT_CHUNK]
        for customer, _changes in chunk:
            customer.updated_at = now
            Customer.objects.filter(pk=customer.pk).update(**{a: getattr(customer, a) for a in attnames})
        Customer.history.bulk_history_create(
            [c for c, _ch in chunk], update=True, default_user=actor, default_change_reason="import"
        )
        StageChange.objects.bulk_create(
            StageChange(
                customer=customer,
                from_stage=changes["from_stage"],
                to_stage=changes["stage"],
                changed_by=actor,
                changed_at=now,
                reason="import",
            )
            for customer, changes in chunk
            if changes["stage"]
        )
        RelationshipLevelChange.objects.bulk_create(
            RelationshipLevelChange(
                customer=customer,
                from_level_id=changes["from_level_id"],
                to_level=changes["level"],
                changed_by=actor,
                changed_at=now,
                reason="import",
            )
            for customer, changes in chunk
            if changes["level"] is not None
        )
        report.updated += len(chunk)
    report.imported = True


def ensure_brands(*, names: list[str]) -> list[CompetitorBrand]:
    """The competitor brands with these names, created when new."""
    brands = []
    for name in {n.strip() for n in names if n.strip()}:
        brand, _created = CompetitorBrand.objects.get_or_create(name=name[:200])
        brands.append(brand)
    return brands
