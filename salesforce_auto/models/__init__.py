"""Field-sales models, split by area: visits.py (plans, appointments, visit reports, survey, daily/weekly
reports) and pipeline.py (opportunities, quotes)."""

from salesforce_auto.models.pipeline import *  # noqa: F403
from salesforce_auto.models.visits import *  # noqa: F403
