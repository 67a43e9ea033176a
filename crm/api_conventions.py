"""API conventions shared by every app (DESIGN §5): pagination, error shapes, conflict and broker errors."""

import datetime as dt

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField as FilterIsoDateTimeField
from kombu.exceptions import OperationalError as BrokerOperationalError
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state.")
    default_code = "conflict"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("A service this request needs is unavailable; try again later.")
    default_code = "service_unavailable"


def validation_error_detail(error: DjangoValidationError) -> dict | list:
    """Turn a Django ValidationError into DRF's {"field": ["message"]} shape."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in error.messages]}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_error_detail(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, BrokerOperationalError):
        exc = ServiceUnavailable()
    return drf_exception_handler(exc, context)


# Date-times the database can store and compare: PostgreSQL refuses UTC offsets beyond ±15:59, and years far
# from today overflow when converted between time zones. Anything outside is a 400, never a 500.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
MAX_UTC_OFFSET = dt.timedelta(hours=15, minutes=59)


def validate_datetime_range(value) -> None:
    if not isinstance(value, dt.datetime):
        return
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise DjangoValidationError(_("The UTC offset must be within ±15:59."), code="utc_offset")
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise DjangoValidationError(
            _("Enter a date-time between %(earliest)s and %(latest)s.")
            % {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR},
            code="out_of_range",
        )


class DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField limited to what the database stores (every API date-time input; crm.apps maps model
    date-time fields to it)."""

    def to_internal_value(self, value):
        # Checked as sent: the conversion to the server's zone would hide the offset.
        validate_datetime_range(_as_sent(value))
        return super().to_internal_value(value)


def _as_sent(value):
    if isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None  # not ISO 8601: the field's own parsing reports it


class BoundedIsoDateTimeField(FilterIsoDateTimeField):
    def to_python(self, value):
        if isinstance(value, str | dt.datetime):
            validate_datetime_range(_as_sent(value))  # as sent, before the conversion to the server's zone
        return super().to_python(value)


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """django-filter's ISO 8601 date-time filter, limited like DateTimeField (a bad value is a 400)."""

    field_class = BoundedIsoDateTimeField
