"""OpenAPI post-processing: document the error answers every endpoint can give (DESIGN §5).

drf-spectacular documents the success answers of each view; the error shapes come from DRF and
crm.api_conventions.exception_handler and apply to every route, so they are added here once instead of on
each view. Clients (and the schemathesis fuzz tests) can then rely on the schema for every status they see.
"""

DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# A 400 is DRF's {"field": ["message"]}, {"<index>": {...}} for list bodies, or a bare list of messages.
VALIDATION = {
    "oneOf": [
        {"type": "object", "additionalProperties": True},
        {"type": "array", "items": {}},
    ]
}

ERRORS = {
    "400": ("ValidationError", VALIDATION, "Invalid input: messages per field."),
    "401": ("ErrorDetail", DETAIL, "No valid credentials (send `Authorization: Token <token>`)."),
    "403": ("ErrorDetail", DETAIL, "Authenticated, but this role may not do this."),
    "404": ("ErrorDetail", DETAIL, "Not found, or outside the caller's scope."),
    "409": ("ErrorDetail", DETAIL, "Conflicts with the current state."),
    "429": ("ErrorDetail", DETAIL, "Too many requests; retry after the `Retry-After` seconds."),
    "503": ("ErrorDetail", DETAIL, "A service this request needs (the task broker) is unavailable."),
}
READ_ERRORS = ("400", "401", "403", "404", "429")
WRITE_ERRORS = ("400", "401", "403", "404", "409", "429", "503")


def document_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema, _ in ERRORS.values():
        schemas.setdefault(name, schema)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            codes = READ_ERRORS if method == "get" else WRITE_ERRORS
            responses = operation.setdefault("responses", {})
            for code in codes:
                name, _, description = ERRORS[code]
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
                    },
                )
    return result
