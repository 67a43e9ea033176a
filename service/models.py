"""Service: complaints handled like a quality system, satisfaction, referrals and the lifetime customer club."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# --- complaints -------------------------------------------------------------------------------------


class ComplaintChannel(models.TextChoices):
    VISIT = "visit", _("Visit")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    API = "api", _("API")


class ComplaintCategory(models.TextChoices):
    PRODUCT_QUALITY = "product_quality", _("Product quality")
    LATE_DELIVERY = "late_delivery", _("Late delivery")
    WRONG_SPECIFICATION = "wrong_specification", _("Wrong specification")
    PACKAGING = "packaging", _("Packaging")
    SERVICE_ATTITUDE = "service_attitude", _("Service attitude")
    BILLING = "billing", _("Billing")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INVESTIGATING = "investigating", _("Investigating")
    RESOLVED = "resolved", _("Resolved")
    VERIFIED = "verified", _("Verified")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


# Statuses in which the customer is no longer waiting for us: the SLA clock has stopped.
SETTLED_STATUSES = (ComplaintStatus.RESOLVED, ComplaintStatus.VERIFIED, ComplaintStatus.CLOSED)


class SlaState(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")


class SlaPolicy(models.Model):
    """How long a complaint of one severity may take to resolve (admin-editable)."""

    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices, unique=True)
    resolution_hours = models.PositiveIntegerField(
        _("hours to resolve"), validators=[MinValueValidator(1), MaxValueValidator(24 * 365)]
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["resolution_hours"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return f"{Severity(self.severity).label}: {self.resolution_hours} h"


class Complaint(models.Model):
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="complaints"
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=ComplaintChannel.choices, default=ComplaintChannel.PHONE
    )
    category = models.CharField(_("category"), max_length=32, choices=ComplaintCategory.choices)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices, default=Severity.MEDIUM)
    description = models.TextField(_("description"), max_length=5000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        related_name="handled_complaints",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED
    )
    received_at = models.DateTimeField(_("received at"))
    due_at = models.DateTimeField(_("due at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    root_cause = models.TextField(_("root cause"), max_length=5000, blank=True)
    corrective_action = models.TextField(_("corrective action"), max_length=5000, blank=True)
    preventive_action = models.TextField(_("preventive action"), max_length=5000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["customer", "received_at"]),
            # The complaints list reads newest first: walk this index instead of sorting every visible row.
            models.Index(fields=["-received_at", "-id"], name="complaint_newest_first"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer}: {self.get_category_display()}"

    @property
    def is_settled(self) -> bool:
        return self.status in SETTLED_STATUSES


class ComplaintEventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    STATUS_CHANGED = "status_changed", _("Status changed")
    UPDATED = "updated", _("Details updated")
    ESCALATED = "escalated", _("Escalated")


class ComplaintEvent(models.Model):
    """One line of a complaint's timeline: who did what, when, and why."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ComplaintEventKind.choices)
    from_status = models.CharField(_("from status"), max_length=16, choices=ComplaintStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=16, choices=ComplaintStatus.choices, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Empty when the system acted by itself."),
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """An in-app message for one user (escalations, requested surveys)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    message = models.CharField(_("message"), max_length=500)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.message


# --- satisfaction -----------------------------------------------------------------------------------


class IndicatorClass(models.Model):
    """A group of satisfaction indicators: product, delivery, service, complaint handling, billing, image, ..."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0)

    class Meta:
        ordering = ["rank", "id"]
        verbose_name = _("indicator class")
        verbose_name_plural = _("indicator classes")

    def __str__(self) -> str:
        return self.name


class SatisfactionIndicator(models.Model):
    indicator_class = models.ForeignKey(
        IndicatorClass, verbose_name=_("class"), on_delete=models.PROTECT, related_name="indicators"
    )
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["indicator_class__rank", "rank", "id"]
        verbose_name = _("satisfaction indicator")
        verbose_name_plural = _("satisfaction indicators")

    def __str__(self) -> str:
        return self.name


class SurveyStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    COMPLETED = "completed", _("Completed")


SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class SatisfactionSurvey(models.Model):
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="satisfaction_surveys"
    )
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.SET_NULL,
        related_name="surveys",
        null=True,
        blank=True,
    )
    # The rep responsible for the customer when the survey was requested: roll-ups per rep and team use it.
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=SurveyStatus.choices, default=SurveyStatus.REQUESTED)
    requested_at = models.DateTimeField(_("requested at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    overall_score = models.PositiveSmallIntegerField(
        _("overall score"), null=True, blank=True, validators=SCORE_VALIDATORS
    )
    comment = models.TextField(_("comment"), max_length=5000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.CheckConstraint(
                condition=Q(overall_score__isnull=True) | Q(overall_score__gte=1, overall_score__lte=5),
                name="survey_overall_score_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(status="requested") | Q(overall_score__isnull=False, completed_at__isnull=False),
                name="survey_completed_has_score",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "status", "completed_at"]),
            models.Index(fields=["status", "completed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.get_status_display()}"


class SurveyScore(models.Model):
    survey = models.ForeignKey(
        SatisfactionSurvey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="scores"
    )
    indicator = models.ForeignKey(
        SatisfactionIndicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="scores"
    )
    score = models.PositiveSmallIntegerField(_("score"), validators=SCORE_VALIDATORS)

    class Meta:
        ordering = ["survey", "indicator"]
        verbose_name = _("survey score")
        verbose_name_plural = _("survey scores")
        constraints = [
            models.UniqueConstraint(fields=["survey", "indicator"], name="survey_score_unique_indicator"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="survey_score_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.score}"


# --- loyalty: referrals and the lifetime club -------------------------------------------------------


class LoyaltyLevel(models.TextChoices):
    """DESIGN §3, from the strongest rung down."""

    BEHAVIOURAL = "behavioural", _("Behavioural loyalty")
    CONATIVE = "conative", _("Conative loyalty")
    AFFECTIVE = "affective", _("Affective loyalty")
    COGNITIVE = "cognitive", _("Cognitive loyalty")
    NONE = "none", _("No loyalty yet")


class Referral(models.Model):
    """One customer introducing another (converted once the referred party buys, as recorded here)."""

    referrer = models.ForeignKey(
        "customers.Customer", verbose_name=_("referred by"), on_delete=models.CASCADE, related_name="referrals_made"
    )
    referred = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("referred customer"),
        on_delete=models.SET_NULL,
        related_name="referrals_received",
        null=True,
        blank=True,
    )
    referred_name = models.CharField(_("referred name"), max_length=200)
    converted = models.BooleanField(_("converted"), default=False)
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(condition=~Q(referrer=models.F("referred")), name="referral_not_self"),
            models.UniqueConstraint(
                fields=["referrer", "referred"], condition=Q(referred__isnull=False), name="referral_unique_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referrer} → {self.referred or self.referred_name}"


class PointsRule(models.Model):
    """How orders earn points (admin-editable); the newest active rule applies."""

    name = models.CharField(_("name"), max_length=200)
    points_per_unit = models.DecimalField(
        _("points per currency unit"),
        max_digits=8,
        decimal_places=4,
        default=Decimal("0.1000"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("0.1 means one point per 10 of order amount; fractions of a point are dropped."),
    )
    minimum_order_amount = models.DecimalField(
        _("minimum order amount"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")

    def __str__(self) -> str:
        return self.name


class LoyaltyAccount(models.Model):
    """A customer's membership of the lifetime customer club; `balance` is the sum of its entries."""

    customer = models.OneToOneField(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="loyalty_account"
    )
    balance = models.IntegerField(_("points balance"), default=0)
    enrolled_at = models.DateTimeField(_("enrolled at"))
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("enrolled by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        verbose_name = _("loyalty account")
        verbose_name_plural = _("loyalty accounts")
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="loyalty_balance_not_negative")]

    def __str__(self) -> str:
        return f"{self.customer}: {self.balance}"


class Reward(models.Model):
    name = models.CharField(_("name"), max_length=200)
    description = models.CharField(_("description"), max_length=500, blank=True)
    points_cost = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1)])
    stock = models.PositiveIntegerField(_("stock"), null=True, blank=True, help_text=_("Empty means unlimited."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["points_cost", "name"]
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")

    def __str__(self) -> str:
        return f"{self.name} ({self.points_cost})"


class PointsEntryKind(models.TextChoices):
    EARNED = "earned", _("Earned from an order")
    ADJUSTED = "adjusted", _("Adjustment")
    REDEEMED = "redeemed", _("Redeemed")


class PointsEntry(models.Model):
    """One line of the points ledger: never edited, never deleted; who, when, why."""

    account = models.ForeignKey(
        LoyaltyAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=PointsEntryKind.choices)
    points = models.IntegerField(_("points"))
    balance_after = models.IntegerField(_("balance after"))
    order = models.OneToOneField(
        "customers.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="points_entry",
        null=True,
        blank=True,
    )
    rule = models.ForeignKey(
        PointsRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reward = models.ForeignKey(
        Reward, verbose_name=_("reward"), on_delete=models.PROTECT, related_name="redemptions", null=True, blank=True
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    reason = models.CharField(_("reason"), max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="points_balance_after_not_negative"),
            models.CheckConstraint(condition=~Q(points=0), name="points_entry_not_zero"),
        ]
        indexes = [models.Index(fields=["account", "created_at"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.points:+d}"
