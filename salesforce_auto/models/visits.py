"""Visit plans, appointments, visit reports, survey form, daily and weekly reports."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "Appointment",
    "BuyingSignal",
    "DailyReport",
    "DailyReportStatus",
    "FailureReason",
    "SurveyAnswer",
    "SurveyAspect",
    "SurveyQuestion",
    "VisitMethod",
    "VisitPlan",
    "VisitReport",
    "WeeklySummary",
]


class VisitMethod(models.TextChoices):
    VISIT = "visit", _("Visit")
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video")
    MESSAGE = "message", _("Message")
    OTHER = "other", _("Other")


class FailureReason(models.TextChoices):
    PRODUCT_MISMATCH = "product_mismatch", _("Product or policy does not meet the need")
    SCALE_MISMATCH = "scale_mismatch", _("Mismatch in scale or philosophy")
    LACKS_FUNDS = "lacks_funds", _("Customer lacks funds or capacity")
    TIED_TO_COMPETITOR = "tied_to_competitor", _("Tied to a competitor")
    OTHER = "other", _("Other")


class BuyingSignal(models.TextChoices):
    ASKS_SERVICE = "asks_service", _("Asks about use or after-sales service")
    CHECKS_PRODUCT = "checks_product", _("Checks it is the advertised product")
    REPEATS_KEY_POINTS = "repeats_key_points", _("Asks the key points again")
    ASKS_DELIVERY = "asks_delivery", _("Asks about delivery")
    ASKS_PAYMENT_TERMS = "asks_payment_terms", _("Asks about payment terms")
    COMPARES_BRANDS = "compares_brands", _("Compares with other brands")
    ASKS_REPUTATION = "asks_reputation", _("Asks what the market says")


class VisitReport(models.Model):
    """One logged contact (a street visit, a call, ...) with its four-aspect findings."""

    client_uuid = models.UUIDField(_("client UUID"), unique=True)
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.PROTECT, related_name="visit_reports"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="visit_reports"
    )
    visited_at = models.DateTimeField(_("visited at"))
    method = models.CharField(_("method"), max_length=16, choices=VisitMethod.choices, default=VisitMethod.VISIT)
    findings_market = models.TextField(_("market findings"), max_length=5000, blank=True)
    findings_channel = models.TextField(_("channel/dealer findings"), max_length=5000, blank=True)
    findings_competitor = models.TextField(_("competitor findings"), max_length=5000, blank=True)
    findings_consumer = models.TextField(_("consumer findings"), max_length=5000, blank=True)
    outcome = models.TextField(_("outcome"), max_length=5000, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=32, choices=FailureReason.choices, blank=True)
    buying_signals = models.JSONField(_("buying signals"), default=list, blank=True)
    step_reached = models.PositiveSmallIntegerField(
        _("four-step stage reached"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    next_step = models.CharField(_("next step"), max_length=500, blank=True)
    next_visit_on = models.DateField(_("next visit on"), null=True, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    intends_to_rebuy = models.BooleanField(_("customer stated an intent to buy again"), default=False)
    brands_mentioned = models.ManyToManyField(
        "customers.CompetitorBrand", verbose_name=_("competitor brands mentioned"), related_name="+", blank=True
    )
    created_customer = models.BooleanField(_("customer created with this report"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = _("visit report")
        verbose_name_plural = _("visit reports")
        indexes = [
            models.Index(fields=["customer", "visited_at"]),
            models.Index(fields=["rep", "visited_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.visited_at:%Y-%m-%d %H:%M}"


class VisitPlan(models.Model):
    """拜访计划: who goes, when, how, and what to collect, bring and answer."""

    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.PROTECT, related_name="visit_plans"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="visit_plans"
    )
    planned_at = models.DateTimeField(_("planned at"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=30, validators=[MinValueValidator(5), MaxValueValidator(600)]
    )
    method = models.CharField(_("method"), max_length=16, choices=VisitMethod.choices, default=VisitMethod.VISIT)
    participants = models.TextField(_("participants and roles"), max_length=2000, blank=True)
    information_to_collect = models.TextField(_("information to collect"), max_length=2000, blank=True)
    materials = models.TextField(_("materials to bring"), max_length=2000, blank=True)
    expected_questions = models.TextField(_("expected questions and prepared answers"), max_length=5000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["planned_at", "id"]
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")
        indexes = [models.Index(fields=["rep", "planned_at"])]

    def __str__(self) -> str:
        return f"{self.customer} {self.planned_at:%Y-%m-%d %H:%M}"


class Appointment(models.Model):
    """预约: an agreed meeting with a customer."""

    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.PROTECT, related_name="appointments"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="appointments"
    )
    starts_at = models.DateTimeField(_("starts at"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    participants = models.TextField(_("participants"), max_length=2000, blank=True)
    objectives = models.TextField(_("objectives"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes = [models.Index(fields=["rep", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.customer} {self.starts_at:%Y-%m-%d %H:%M}"


class SurveyAspect(models.TextChoices):
    MARKET = "market", _("Market")
    CHANNEL = "channel", _("Channel / dealer")
    COMPETITOR = "competitor", _("Competitor")
    CONSUMER = "consumer", _("Consumer")


class SurveyQuestion(models.Model):
    """One question of the survey form (客户调查表), defined by admins."""

    aspect = models.CharField(_("aspect"), max_length=16, choices=SurveyAspect.choices)
    text = models.CharField(_("question"), max_length=500)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["aspect", "position", "id"]
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")

    def __str__(self) -> str:
        return self.text


class SurveyAnswer(models.Model):
    """An answer given during a visit; the latest answer per customer and question counts."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="survey_answers"
    )
    question = models.ForeignKey(
        SurveyQuestion, verbose_name=_("question"), on_delete=models.CASCADE, related_name="answers"
    )
    answer = models.TextField(_("answer"), max_length=2000)
    visit = models.ForeignKey(
        VisitReport,
        verbose_name=_("visit report"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_answers",
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"))

    class Meta:
        ordering = ["-answered_at", "-id"]
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        indexes = [models.Index(fields=["customer", "question", "answered_at"])]

    def __str__(self) -> str:
        return f"{self.customer}: {self.question}"


class DailyReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class DailyReport(models.Model):
    """客户扫街日报表: a rep's visits of one local date, with counts and the rep's summary."""

    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.PROTECT, related_name="daily_reports"
    )
    date = models.DateField(_("date"))
    visit_count = models.PositiveIntegerField(_("contacts"), default=0)
    street_visit_count = models.PositiveIntegerField(_("street visits"), default=0)
    new_customer_count = models.PositiveIntegerField(_("new potential customers"), default=0)
    ready_to_close_count = models.PositiveIntegerField(_("customers showing buying signals"), default=0)
    failure_count = models.PositiveIntegerField(_("visits with a failure reason"), default=0)
    summary = models.TextField(_("summary"), max_length=5000, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=DailyReportStatus.choices, default=DailyReportStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    built_at = models.DateTimeField(_("built at"))

    class Meta:
        ordering = ["-date", "rep_id"]
        verbose_name = _("daily street-visit report")
        verbose_name_plural = _("daily street-visit reports")
        constraints = [models.UniqueConstraint(fields=["rep", "date"], name="daily_report_one_per_rep_date")]

    def __str__(self) -> str:
        return f"{self.rep} {self.date}"


class WeeklySummary(models.Model):
    """周总结表 of one team for one week (Monday to Sunday, local dates), per rep and for the team."""

    team = models.ForeignKey("crm.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField(_("week starting"))
    visit_count = models.PositiveIntegerField(_("contacts"), default=0)
    new_potential_count = models.PositiveIntegerField(_("new potential customers"), default=0)
    stage_move_count = models.PositiveIntegerField(_("stage moves"), default=0)
    failure_reasons = models.JSONField(_("failure reasons"), default=dict, blank=True)
    competitor_notes = models.JSONField(_("competitor notes"), default=list, blank=True)
    per_rep = models.JSONField(_("per rep"), default=list, blank=True)
    built_at = models.DateTimeField(_("built at"))

    class Meta:
        ordering = ["-week_start", "team_id"]
        verbose_name = _("weekly summary")
        verbose_name_plural = _("weekly summaries")
        constraints = [models.UniqueConstraint(fields=["team", "week_start"], name="weekly_summary_one_per_team_week")]

    def __str__(self) -> str:
        return f"{self.team} {self.week_start}"
