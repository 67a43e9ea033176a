"""Customers and what hangs off them: lifecycle, relationship ladder, profile card, contacts, the orders ledger."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


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
    phone = models.CharField(_("phone"), max_length=50, blank=True)
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
    phone = models.CharField(_("phone"), max_length=50, blank=True)
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
    # maintain makes bulk imports faster.
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders", db_index=False
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
        indexes = [models.Index(fields=["customer", "ordered_at"]), models.Index(fields=["ordered_at"])]

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
