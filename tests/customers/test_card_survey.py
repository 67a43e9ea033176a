"""The profile card shows how much of the survey form (客户调查表) the visits have answered."""

import pytest
from django.utils import timezone

from customers.services.customer import create_customer
from salesforce_auto.models import SurveyAnswer, SurveyQuestion

pytestmark = pytest.mark.django_db


def test_card_shows_survey_completeness_from_accumulated_answers(org, page_for):
    customer = create_customer(actor=org.rep_a, name="街角五金店")
    questions = [
        SurveyQuestion.objects.create(aspect=aspect, text=f"Q {aspect}", required=True)
        for aspect in ("market", "channel", "competitor", "consumer")
    ]
    SurveyQuestion.objects.create(aspect="market", text="optional", required=False)
    client = page_for(org.rep_a)
    html = client.get(f"/customers/{customer.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Survey form 0% answered" in html
    for question in questions[:3]:
        SurveyAnswer.objects.create(
            customer=customer, question=question, answer="是", answered_by=org.rep_a, answered_at=timezone.now()
        )
    html = client.get(f"/customers/{customer.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Survey form 75% answered" in html


def test_card_without_required_questions_shows_no_survey_line(org, page_for):
    customer = create_customer(actor=org.rep_a, name="无问卷客户")
    html = page_for(org.rep_a).get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="survey-completeness"' not in html
