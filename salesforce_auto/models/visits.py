"""Visit plans, appointments, visit reports, survey form, daily and weekly reports."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["BuyingSignal", "FailureReason", "VisitMethod", "VisitReport"]


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
