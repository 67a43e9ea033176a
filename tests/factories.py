"""factory-boy factories shared by the whole test suite."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from crm.models import Role, Team, Territory

TEST_PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.REP
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    manager = factory.SubFactory(UserFactory, role=Role.MANAGER)


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    code = factory.Sequence(lambda n: f"T{n}")
    name = factory.Sequence(lambda n: f"Territory {n}")


# --- customers -------------------------------------------------------------------------------------
# Factories of the customers app (customers, contacts, the orders ledger).


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "customers.Customer"

    name = factory.Sequence(lambda n: f"Customer {n}")
    stage = "potential"
    owner = factory.SubFactory(UserFactory)
    city = "上海"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "customers.Contact"

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    title = "采购经理"
    authority = "decision_maker"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "customers.Order"

    customer = factory.SubFactory(CustomerFactory)
    ordered_at = factory.LazyFunction(timezone.now)
    amount = Decimal("100.00")
    cost = Decimal("60.00")
    source = "api"
    external_ref = factory.Sequence(lambda n: f"ORD-{n}")


class CompetitorBrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "customers.CompetitorBrand"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Brand {n}")


# (end of customers factories)
#
#
#
# --- salesforce_auto: visits ----------------------------------------------------------------------
# Factories for visit plans, appointments, visit reports, survey questions.


class VisitReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "salesforce_auto.VisitReport"

    client_uuid = factory.Faker("uuid4", cast_to=None)
    customer = factory.SubFactory(CustomerFactory)
    rep = factory.LazyAttribute(lambda v: v.customer.owner)
    visited_at = factory.LazyFunction(timezone.now)
    method = "visit"


class VisitPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "salesforce_auto.VisitPlan"

    customer = factory.SubFactory(CustomerFactory)
    rep = factory.LazyAttribute(lambda v: v.customer.owner)
    planned_at = factory.LazyFunction(timezone.now)
    materials = "样品、价目表"


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "salesforce_auto.Appointment"

    customer = factory.SubFactory(CustomerFactory)
    rep = factory.LazyAttribute(lambda v: v.customer.owner)
    starts_at = factory.LazyFunction(timezone.now)
    place = "门店"


class SurveyQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "salesforce_auto.SurveyQuestion"

    aspect = "market"
    text = factory.Sequence(lambda n: f"Question {n}?")
    required = True


#
# (end of visits factories)
#
#
#
# --- salesforce_auto: pipeline --------------------------------------------------------------------
# Factories for opportunities and quotes.


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "salesforce_auto.Opportunity"

    customer = factory.SubFactory(CustomerFactory)
    title = factory.Sequence(lambda n: f"Opportunity {n}")
    amount = Decimal("1000.00")
    stage = "proposal"
    probability = 50
    expected_close_on = factory.LazyFunction(timezone.localdate)
    owner = factory.LazyAttribute(lambda o: o.customer.owner)


class QuoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "salesforce_auto.Quote"

    customer = factory.SubFactory(CustomerFactory)
    title = factory.Sequence(lambda n: f"Quote {n}")
    created_by = factory.LazyAttribute(lambda o: o.customer.owner)


# (end of pipeline factories)
#
#
#
# --- segmentation ----------------------------------------------------------------------------------


class SegmentationRunFactory(factory.django.DjangoModelFactory):
    """A queued run; compute it with segmentation.services.compute_run(run_id=run.pk)."""

    class Meta:
        model = "segmentation.SegmentationRun"

    as_of = factory.LazyFunction(timezone.localdate)
    started_by = factory.SubFactory(UserFactory, role=Role.ADMIN)


# (end of segmentation factories)
#
#
#
# --- service ---------------------------------------------------------------------------------------
# Factories of the service app; complaints and points go through the services so their rules hold.


def complaint_for(customer, *, actor=None, **fields):
    from service.services import open_complaint

    fields.setdefault("category", "late_delivery")
    fields.setdefault("description", "Goods arrived late.")
    return open_complaint(actor=actor or customer.owner, customer=customer, **fields)


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "service.Reward"

    name = factory.Sequence(lambda n: f"Reward {n}")
    points_cost = 100


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "service.Referral"

    referrer = factory.SubFactory(CustomerFactory)
    referred_name = factory.Sequence(lambda n: f"Referred {n}")
    created_by = factory.LazyAttribute(lambda r: r.referrer.owner)


# (end of service factories)
