"""Customers and what hangs off them: lifecycle, relationship ladder, profile card, contacts, the orders ledger."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# Digits with the usual separators and an optional leading +: 13800138000, 021-6235 1234, +86 (21) 6235-1234.
phone_validator = RegexValidator(
    regex=r"^\+?[0-9(][0-9 ()\-]{4,28}[0-9]$",
    message=_("Enter a phone number of digits, spaces, dashes and brackets (an optional leading +)."),
)


class Stage(models.TextChoices):
    POTENTIAL = "potential", _("Potential")
    TARGET = "target", _("Target")
    CURRENT = "current", _("Current")
    DORMANT = "dormant", _("Dormant")


class RelationshipLevel(models.Model):
    """One rung of the relationship ladder (admin-editable; Kotler's five by default)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True)
    description = models.CharField(_("description"), max_length=500, blank=True)

    class Meta:
        ordering = ["rank"]
        verbose_name = _("relationship level")
        verbose_name_plural = _("relationship levels")

    def __str__(self) -> str:
        return self.name


class CompetitorBrand(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("competitor brand")
        verbose_name_plural = _("competitor brands")

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    external_ref = models.CharField(
        _("external reference"), max_length=100, unique=True, null=True, blank=True, help_text=_("The ERP code.")
    )
    name = models.CharField(_("name"), max_length=200)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.POTENTIAL)
    relationship_level = models.ForeignKey(
        RelationshipLevel,
        verbose_name=_("relationship level"),
        on_delete=models.PROTECT,
        related_name="customers",
        null=True,
        blank=True,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="customers"
    )
    territory = models.ForeignKey(
        "crm.Territory",
        verbose_name=_("territory"),
        on_delete=models.SET_NULL,
        related_name="customers",
        null=True,
        blank=True,
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True, validators=[phone_validator])
    source = models.CharField(_("source"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), max_length=5000, blank=True)

    # Profile card (客户资料卡)
    business_area_m2 = models.DecimalField(
        _("business area (m²)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    years_in_business = models.PositiveSmallIntegerField(_("years in business"), null=True, blank=True)
    staff_count = models.PositiveIntegerField(_("staff count"), null=True, blank=True)
    brands_carried = models.ManyToManyField(
        CompetitorBrand, verbose_name=_("brands carried"), related_name="carried_by", blank=True
    )
    monthly_purchase_volume = models.DecimalField(
        _("monthly purchase volume"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    distribution_reach = models.CharField(_("distribution reach"), max_length=300, blank=True)
    credit_notes = models.TextField(_("credit notes"), max_length=2000, blank=True)

    ready_to_close = models.BooleanField(_("ready to close"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["owner", "stage"]),
            models.Index(fields=["stage"]),
            models.Index(fields=["city"]),
        ]

    def __str__(self) -> str:
        return self.name


class StageChange(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.CharField(_("from stage"), max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to stage"), max_length=16, choices=Stage.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        indexes = [models.Index(fields=["customer", "changed_at"]), models.Index(fields=["changed_at"])]

    def __str__(self) -> str:
        return f"{self.customer}: {self.from_stage or '—'} → {self.to_stage}"


class RelationshipLevelChange(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="level_changes"
    )
    from_level = models.ForeignKey(
        RelationshipLevel,
        verbose_name=_("from level"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_level = models.ForeignKey(
        RelationshipLevel, verbose_name=_("to level"), on_delete=models.PROTECT, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("relationship level change")
        verbose_name_plural = _("relationship level changes")

    def __str__(self) -> str:
        return f"{self.customer}: {self.from_level or '—'} → {self.to_level}"


class Authority(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    OTHER = "other", _("Other")


class Contact(models.Model):
    """A key person at the customer, with their title and decision authority."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True, validators=[phone_validator])
    email = models.EmailField(_("email"), max_length=254, blank=True)
    authority = models.CharField(_("authority"), max_length=20, choices=Authority.choices, default=Authority.OTHER)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["customer", "name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    """One line of the sales ledger. Returns and credit notes are not orders."""

    # db_index=False: the (customer, ordered_at) index below serves customer lookups; one index less to
    # maintain makes bulk imports faster. db_constraint=False: the database-level foreign key check costs a
    # trigger call per inserted row, a large share of an import's time; every write path (record_orders,
    # import_orders) checks the customer against the actor's scope itself, and PROTECT still guards deletes
    # made through the ORM (a departure from DESIGN §3, recorded in the closing note of issue #4).
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,
        db_constraint=False,
    )
    ordered_at = models.DateTimeField(_("ordered at"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    cost = models.DecimalField(_("cost of goods"), max_digits=14, decimal_places=2, default=0)
    source = models.CharField(_("source"), max_length=50, default="api")
    external_ref = models.CharField(_("external reference"), max_length=100, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-ordered_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_ref"],
                condition=Q(external_ref__isnull=False),
                name="order_unique_source_ref",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="order_amount_not_negative"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="order_cost_not_negative"),
        ]
        # One index: a customer's orders by time. On PostgreSQL it also covers amount and cost, so the
        # segmentation run's grouped pass is a parallel index-only scan already in customer order (a streaming
        # GROUP BY, no hash table of a million customers). No index on ordered_at alone: each extra index slows
        # every import.
        indexes = [
            models.Index(fields=["customer", "ordered_at"], include=["amount", "cost"], name="order_customer_time")
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.ordered_at:%Y-%m-%d} {self.amount}"


class AssignmentRule(models.Model):
    """Who owns a new customer created without an owner: first matching rule by priority (DESIGN §3)."""

    name = models.CharField(_("name"), max_length=200)
    priority = models.PositiveIntegerField(_("priority"), default=100)
    territory = models.ForeignKey(
        "crm.Territory", verbose_name=_("territory"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team (round-robin among its reps)"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return self.name


# --- MAN qualification and the evaluation scorecard (DESIGN §3) ----------------------------------------------


class ManAnswer(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Unknown")


class Qualification(models.Model):
    """MAN qualification (金钱 money, 权力 authority, 需求 need) of a prospect; qualified when all three are yes."""

    customer = models.OneToOneField(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="qualification"
    )
    money = models.CharField(_("money"), max_length=8, choices=ManAnswer.choices, default=ManAnswer.UNKNOWN)
    authority = models.CharField(_("authority"), max_length=8, choices=ManAnswer.choices, default=ManAnswer.UNKNOWN)
    need = models.CharField(_("need"), max_length=8, choices=ManAnswer.choices, default=ManAnswer.UNKNOWN)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("MAN qualification")
        verbose_name_plural = _("MAN qualifications")

    def __str__(self) -> str:
        return f"{self.customer}: M={self.money} A={self.authority} N={self.need}"

    @property
    def is_qualified(self) -> bool:
        return self.money == self.authority == self.need == ManAnswer.YES


class Scorecard(models.Model):
    """An admin-defined evaluation scorecard. Indicator weights must sum to exactly 1.

    `cap` bounds how much one indicator can over-perform: its score is min(actual / standard, cap) × 100 × weight,
    so with the default cap of 1.5 an indicator at twice its standard counts as 150 % of it, not 200 %.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    cap = models.DecimalField(
        _("ratio cap"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.50"),
        validators=[MinValueValidator(Decimal("1.00"))],
        help_text=_("An indicator's actual/standard ratio counts at most this much (1.5 = 150 %)."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("evaluation scorecard")
        verbose_name_plural = _("evaluation scorecards")

    def __str__(self) -> str:
        return self.name


class ScorecardIndicator(models.Model):
    scorecard = models.ForeignKey(
        Scorecard, verbose_name=_("scorecard"), on_delete=models.CASCADE, related_name="indicators"
    )
    name = models.CharField(_("name"), max_length=200)
    weight = models.DecimalField(
        _("weight"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text=_("Between 0 and 1; the weights of a scorecard sum to exactly 1."),
    )
    standard_ratio = models.DecimalField(
        _("standard ratio"), max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal("0.0001"))]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["scorecard", "position", "id"]
        verbose_name = _("scorecard indicator")
        verbose_name_plural = _("scorecard indicators")
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "name"], name="scorecard_indicator_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Evaluation(models.Model):
    """One evaluation (评价) of a target customer against a scorecard; total = sum of indicator scores."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="evaluations"
    )
    scorecard = models.ForeignKey(
        Scorecard, verbose_name=_("scorecard"), on_delete=models.PROTECT, related_name="evaluations"
    )
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("evaluated by"), on_delete=models.PROTECT, related_name="+"
    )
    evaluated_at = models.DateTimeField(_("evaluated at"))
    total_score = models.DecimalField(_("total score"), max_digits=8, decimal_places=2)
    notes = models.CharField(_("notes"), max_length=500, blank=True)

    class Meta:
        ordering = ["-evaluated_at", "-id"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        indexes = [models.Index(fields=["customer", "scorecard", "evaluated_at"])]

    def __str__(self) -> str:
        return f"{self.customer}: {self.total_score}"


class EvaluationScore(models.Model):
    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="scores"
    )
    indicator = models.ForeignKey(
        ScorecardIndicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="+"
    )
    actual_ratio = models.DecimalField(
        _("actual ratio"), max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal("0"))]
    )
    score = models.DecimalField(_("score"), max_digits=8, decimal_places=2)

    class Meta:
        ordering = ["evaluation", "indicator__position", "indicator_id"]
        verbose_name = _("indicator score")
        verbose_name_plural = _("indicator scores")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "indicator"], name="evaluation_score_unique_indicator"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.score}"
