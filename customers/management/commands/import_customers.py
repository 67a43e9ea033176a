"""Import customers from a CSV or XLSX file: `manage.py import_customers FILE --user USERNAME [--import-valid-rows]`."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from customers.services.customer import import_customers, read_customer_file


class Command(BaseCommand):
    help = (
        "Validate every row of a customer file and import it. A file with errors imports nothing unless "
        "--import-valid-rows is given; rows whose external_ref matches an existing customer update it."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV (UTF-8 or GB18030) or XLSX file; the first row names the columns")
        parser.add_argument("--user", required=True, help="username of the acting user (owner scope and history)")
        parser.add_argument("--import-valid-rows", action="store_true", help="import the valid rows despite errors")

    def handle(self, *args, path, user, import_valid_rows, **options):
        actor = get_user_model().objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {user!r}.")
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No file {path!r}.")
        try:
            rows = read_customer_file(file_name=file.name, content=file.read_bytes())
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        report = import_customers(actor=actor, rows=rows, import_valid_rows=import_valid_rows)
        for item in report.errors:
            details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in item["errors"].items())
            self.stderr.write(f"row {item['row']}: {details}")
        summary = (
            f"{report.total} rows, {report.valid} valid, {report.created} created, {report.updated} updated"
            f"{'' if report.imported else ', nothing imported'}"
        )
        if not report.imported:
            raise CommandError(summary + " (fix the rows or pass --import-valid-rows)")
        self.stdout.write(self.style.SUCCESS(summary))
