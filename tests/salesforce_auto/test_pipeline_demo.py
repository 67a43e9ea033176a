import io

import pytest
from django.core.management import call_command

from salesforce_auto import demo_pipeline
from salesforce_auto.models import Opportunity, Quote
from salesforce_auto.selectors_pipeline import forecast
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_demo_pipeline_fills_the_board_and_forecast_once(org):
    for n in range(10):
        CustomerFactory(owner=[org.rep_a, org.rep_c][n % 2], stage="current")
    demo_pipeline.seed(io.StringIO())
    demo_pipeline.seed(io.StringIO())
    assert Opportunity.objects.count() == 10 and Quote.objects.count() == 2
    assert Quote.objects.filter(status="draft", internal_cost__isnull=True).exists()
    assert forecast(user=org.admin, months=7).total.count >= 8


def test_seed_demo_runs_with_orders_and_pipeline_modules():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
