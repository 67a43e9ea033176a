import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from crm.services import get_system_user
from customers.services.orders import ENCODINGS, IMPORT_SOURCE, OrderImportError, import_orders, import_summary


class Command(BaseCommand):
    help = (
        "Import orders from a CSV file (columns: customer_ref or customer, ordered_at, amount, "
        "[cost, source, external_ref]). All-or-nothing unless --partial; known refs are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--encoding", choices=sorted(ENCODINGS), default="auto")
        parser.add_argument("--source", default=IMPORT_SOURCE, help="Source for rows without one (default: import).")
        parser.add_argument("--partial", action="store_true", help="Import the good rows even if some are bad.")
        parser.add_argument("--user", help="Import within this user's scope (default: the system user, all customers).")

    def handle(self, *args, **options):
        actor = get_system_user()
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"Unknown user {options['user']!r}.")
        started = time.perf_counter()
        try:
            with open(options["file"], "rb") as stream:
                report = import_orders(
                    actor=actor,
                    stream=stream,
                    encoding=options["encoding"],
                    source=options["source"],
                    all_or_nothing=not options["partial"],
                )
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {options['file']}") from exc
        except OrderImportError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        elapsed = time.perf_counter() - started
        for error in report.errors:
            self.stderr.write(f"line {error['line']}: {error['field'] or '-'}: {error['message']}")
        if report.error_count > len(report.errors):
            self.stderr.write(f"... and {report.error_count - len(report.errors)} more errors")
        self.stdout.write(f"{import_summary(report)} ({report.rows} rows, {report.encoding}, {elapsed:.1f} s)")
        if not report.committed:
            raise CommandError(import_summary(report))
