from importlib import import_module
from importlib.util import find_spec

from django.core.management.base import BaseCommand
from django.db import transaction

# Each app may contribute a `demo.py` with `seed(stdout)`; they run in dependency order.
DEMO_MODULES = [
    "crm.demo",
    "customers.demo",
    "customers.demo_orders",
    "salesforce_auto.demo",
    "salesforce_auto.demo_pipeline",
    "segmentation.demo",
    "service.demo",
]


class Command(BaseCommand):
    help = "Create a believable demo organisation (safe to run twice)."

    def handle(self, *args, **options):
        for name in DEMO_MODULES:
            if find_spec(name) is None:
                continue
            with transaction.atomic():
                import_module(name).seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
