"""Segmentation runs (immutable snapshots with their parameters) and one tier assignment per customer per run."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class AbcClass(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class BcgQuadrant(models.TextChoices):
    STAR = "star", _("Star")
    CASH_COW = "cash_cow", _("Cash cow")
    QUESTION_MARK = "question_mark", _("Question mark")
    DOG = "dog", _("Dog")


# ranks up to this are in a partial index, so the BCG chart's top points are read without the other rows
TOP_RANK_INDEXED = 5000


def default_high_value_classes() -> list[str]:
    return ["A"]


class SegmentationRun(models.Model):
    # Parameters (DESIGN §3)
    as_of = models.DateField(_("as of"))
    window_months = models.PositiveSmallIntegerField(_("window (months)"), default=12)
    a_cutoff = models.DecimalField(_("A cut-off"), max_digits=5, decimal_places=4, default=Decimal("0.8000"))
    b_cutoff = models.DecimalField(_("B cut-off"), max_digits=5, decimal_places=4, default=Decimal("0.9500"))
    growth_threshold = models.DecimalField(
        _("growth threshold"), max_digits=7, decimal_places=4, default=Decimal("0.1000")
    )
    high_value_classes = models.JSONField(_("high-value classes"), default=default_high_value_classes)
    visit_cost = models.DecimalField(_("cost per visit"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    make_live = models.BooleanField(_("make live when it succeeds"), default=True)

    # Execution
    status = models.CharField(_("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    live = models.BooleanField(_("live"), default=False)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("heartbeat"), null=True, blank=True)
    customer_count = models.PositiveIntegerField(_("customers"), default=0)
    error = models.TextField(_("error"), blank=True)

    # Aggregates stored when the run succeeds, so dashboards never scan the assignments per request.
    previous_run = models.ForeignKey(
        "self",
        verbose_name=_("previous live run"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The run that was live when this one computed; migration counts compare against it."),
    )
    total_revenue = models.DecimalField(_("total revenue"), max_digits=18, decimal_places=2, null=True, blank=True)
    pareto = models.JSONField(_("Pareto curve"), default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("segmentation run")
        verbose_name_plural = _("segmentation runs")
        constraints = [
            models.UniqueConstraint(fields=["live"], condition=Q(live=True), name="segmentation_one_live_run"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.as_of} ({self.status})"


class TierAssignment(models.Model):
    # A run writes a million of these in one statement: no foreign-key triggers (the statement joins the
    # customers it names; Django cascades deletes) and only the indexes readers use, so the insert stays close
    # to the cost of the grouped pass.
    run = models.ForeignKey(
        SegmentationRun,
        verbose_name=_("run"),
        on_delete=models.CASCADE,
        related_name="assignments",
        db_constraint=False,
        db_index=False,
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="tier_assignments",
        db_constraint=False,
        db_index=False,
    )
    revenue = models.DecimalField(_("revenue"), max_digits=16, decimal_places=2)
    previous_revenue = models.DecimalField(_("previous revenue"), max_digits=16, decimal_places=2)
    growth = models.DecimalField(_("growth"), max_digits=12, decimal_places=4, null=True, blank=True)
    abc_class = models.CharField(_("ABC class"), max_length=1, choices=AbcClass.choices)
    bcg_quadrant = models.CharField(_("BCG quadrant"), max_length=16, choices=BcgQuadrant.choices)
    recency_days = models.IntegerField(_("recency (days)"), null=True, blank=True)
    frequency = models.PositiveIntegerField(_("frequency"), default=0)
    r_score = models.PositiveSmallIntegerField(_("R score"), null=True, blank=True)
    f_score = models.PositiveSmallIntegerField(_("F score"), null=True, blank=True)
    m_score = models.PositiveSmallIntegerField(_("M score"), null=True, blank=True)
    profit = models.DecimalField(_("profit"), max_digits=16, decimal_places=2)
    loyal = models.BooleanField(_("loyal"), default=False)
    potential_value = models.DecimalField(_("potential value"), max_digits=16, decimal_places=2, null=True, blank=True)
    share_of_wallet = models.DecimalField(_("share of wallet"), max_digits=9, decimal_places=4, null=True, blank=True)
    revenue_rank = models.PositiveIntegerField(_("revenue rank"), null=True, blank=True)

    class Meta:
        ordering = ["run", "-revenue", "customer_id"]
        verbose_name = _("tier assignment")
        verbose_name_plural = _("tier assignments")
        constraints = [models.UniqueConstraint(fields=["run", "customer"], name="tier_assignment_unique_per_run")]
        # No (customer, run) index: every read by customer goes through a run, the live one or a named one, so
        # (run, customer) serves it; a second index over a million random positions per run cost about a
        # quarter of the run's insert. (Cascading a customer delete scans the table; customers are never deleted
        # by the application: their orders protect them.)
        indexes = [
            # the BCG chart's top points: the first few thousand by rank, read without touching the rest
            models.Index(
                fields=["run", "revenue_rank"],
                condition=Q(revenue_rank__lte=TOP_RANK_INDEXED),
                name="segmentation_top_rank",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} in run {self.run_id}: {self.abc_class}/{self.bcg_quadrant}"


class RunLock(models.Model):
    """A singleton row: starting a run updates it first, so two starts racing serialise on its row lock."""

    touched_at = models.DateTimeField(_("touched at"), null=True, blank=True)

    class Meta:
        verbose_name = _("run lock")
        verbose_name_plural = _("run locks")

    def __str__(self) -> str:
        return f"run lock {self.pk}"


class SegmentStat(models.Model):
    """Customers and revenue of one run per owner (with the owner's team then) and territory, per class and
    quadrant, and per class and quadrant in the previous live run (migration counts)."""

    run = models.ForeignKey(SegmentationRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="stats")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "crm.Team", verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    territory = models.ForeignKey(
        "crm.Territory", verbose_name=_("territory"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    abc_class = models.CharField(_("ABC class"), max_length=1, choices=AbcClass.choices)
    bcg_quadrant = models.CharField(_("BCG quadrant"), max_length=16, choices=BcgQuadrant.choices)
    previous_abc_class = models.CharField(_("previous ABC class"), max_length=1, blank=True)
    previous_bcg_quadrant = models.CharField(_("previous BCG quadrant"), max_length=16, blank=True)
    customers = models.PositiveIntegerField(_("customers"))
    revenue = models.DecimalField(_("revenue"), max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("segment statistic")
        verbose_name_plural = _("segment statistics")
        indexes = [models.Index(fields=["run", "team"]), models.Index(fields=["run", "owner"])]

    def __str__(self) -> str:
        return f"run {self.run_id}: {self.abc_class}/{self.bcg_quadrant} × {self.customers}"


class DashboardCell(models.Model):
    """Common columns of the per-run dashboard aggregates: one row per owner (with the owner's team when the
    run computed) and territory, so every scope (a rep, a manager's teams, one team, one territory) is a sum of
    rows; the dashboard never scans a run's assignments per request."""

    run = models.ForeignKey(SegmentationRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "crm.Team", verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    territory = models.ForeignKey(
        "crm.Territory", verbose_name=_("territory"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True


class BcgBin(DashboardCell):
    """Customers with revenue per BCG cell: value bin (half a decade of revenue: bin k covers
    [10^(k/2), 10^((k+1)/2))) × growth bin (a quarter: bin g covers [g/4, (g+1)/4), clamped to −4…12; null for
    customers with no previous revenue), per quadrant: the density layer of the BCG chart."""

    value_bin = models.SmallIntegerField(_("value bin"))
    growth_bin = models.SmallIntegerField(_("growth bin"), null=True, blank=True)
    bcg_quadrant = models.CharField(_("BCG quadrant"), max_length=16, choices=BcgQuadrant.choices)
    customers = models.PositiveIntegerField(_("customers"))

    class Meta:
        verbose_name = _("BCG bin")
        verbose_name_plural = _("BCG bins")
        indexes = [models.Index(fields=["run", "owner"], name="segmentation_bcgbin_run_owner")]

    def __str__(self) -> str:
        return f"run {self.run_id}: {self.value_bin}×{self.growth_bin} {self.bcg_quadrant} × {self.customers}"


class RevenueBin(DashboardCell):
    """Customers and their revenue per tenth of a decade of revenue (bin k covers [10^(k/10), 10^((k+1)/10));
    null = no revenue): merged in descending bin order they give the Pareto curve of any scope, exact at
    each bin's end, in ≤ ~100 points."""

    value_bin = models.SmallIntegerField(_("value bin"), null=True, blank=True)
    customers = models.PositiveIntegerField(_("customers"))
    revenue = models.DecimalField(_("revenue"), max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("revenue bin")
        verbose_name_plural = _("revenue bins")
        indexes = [models.Index(fields=["run", "owner"], name="segmentation_revbin_run_owner")]

    def __str__(self) -> str:
        return f"run {self.run_id}: bin {self.value_bin} × {self.customers}"


class StageCount(DashboardCell):
    """Customers per lifecycle stage when the run computed (the conversion panel reads these, not a count over
    every customer)."""

    stage = models.CharField(_("stage"), max_length=16)
    customers = models.PositiveIntegerField(_("customers"))

    class Meta:
        verbose_name = _("customers per stage")
        verbose_name_plural = _("customers per stage")
        indexes = [models.Index(fields=["run", "owner"], name="segmentation_stage_run_owner")]

    def __str__(self) -> str:
        return f"run {self.run_id}: {self.stage} × {self.customers}"


class FellFromA(DashboardCell):
    """Customers that were A in the previous live run and are not A in this one: the first
    FELL_FROM_A_PER_CELL by revenue rank per owner and territory, so any scope's top list is exact."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    abc_class = models.CharField(_("ABC class"), max_length=1, choices=AbcClass.choices)
    revenue = models.DecimalField(_("revenue"), max_digits=16, decimal_places=2)
    previous_revenue = models.DecimalField(_("previous revenue"), max_digits=16, decimal_places=2)
    revenue_rank = models.PositiveIntegerField(_("revenue rank"))

    class Meta:
        verbose_name = _("customer that fell from A")
        verbose_name_plural = _("customers that fell from A")
        indexes = [models.Index(fields=["run", "owner", "revenue_rank"], name="segmentation_fell_run_owner")]

    def __str__(self) -> str:
        return f"run {self.run_id}: {self.customer_id} A → {self.abc_class}"


class BcgTopPoint(DashboardCell):
    """The first BCG_TOP_PER_CELL customers with revenue by revenue rank per owner and territory: the BCG
    chart's points for any scope narrower than the whole run are the first of these (exact: a scope's top N
    lies within its cells' top N), read without joining a million customers."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    revenue = models.DecimalField(_("revenue"), max_digits=16, decimal_places=2)
    growth = models.DecimalField(_("growth"), max_digits=12, decimal_places=4, null=True, blank=True)
    abc_class = models.CharField(_("ABC class"), max_length=1, choices=AbcClass.choices)
    bcg_quadrant = models.CharField(_("BCG quadrant"), max_length=16, choices=BcgQuadrant.choices)
    revenue_rank = models.PositiveIntegerField(_("revenue rank"))

    class Meta:
        verbose_name = _("BCG top point")
        verbose_name_plural = _("BCG top points")
        indexes = [models.Index(fields=["run", "owner", "revenue_rank"], name="segmentation_top_run_owner")]

    def __str__(self) -> str:
        return f"run {self.run_id}: {self.customer_id} #{self.revenue_rank}"
