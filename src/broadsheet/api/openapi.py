"""Answers every JSON API operation may give, declared in the OpenAPI document once for all.

Each endpoint declares its own answers (200, 404…); these come from layers around it: the rate
limit (429, on every operation), a malformed request (400 on every operation: a NUL character
in the address, a body that is not JSON), authentication (401 for a token that is not valid,
wherever credentials are read; 403 for a session request that changes something without the
CSRF header), an address whose path parameter is not of its type (404, as any address the API
does not have) and validation of parameters and bodies (422). A test walks the document and
checks every answer against it.
"""

from __future__ import annotations

ERROR_REF = {"$ref": "#/components/schemas/Error"}
RATE_LIMITED = {
    "title": "RateLimited",
    "type": "object",
    "properties": {
        "detail": {"type": "string", "title": "Detail", "description": "What went wrong, in "
                                                                       "words"},
        "retry_after": {"type": "integer", "title": "Retry After",
                        "description": "Seconds to wait, as in the Retry-After header"},
    },
    "required": ["detail", "retry_after"],
}
ERROR = {"title": "Error", "type": "object",
         "properties": {"detail": {"type": "string", "title": "Detail"}},
         "required": ["detail"]}
UNSAFE = {"post", "put", "patch", "delete"}


def _json(schema: dict, description: str, **extra) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}},
            **extra}


def declare_common_answers(schema: dict) -> dict:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR)
    components["RateLimited"] = RATE_LIMITED
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            _declare(method, operation)
    return schema


def open_to_visitors() -> dict:
    """``openapi_extra`` of an operation that answers without credentials too (visitors get
    teasers): OpenAPI's empty security requirement beside the token's says the token is
    optional."""
    return {"security": [{}]}


def _declare(method: str, operation: dict) -> None:
    answers = operation.setdefault("responses", {})
    answers.setdefault(429, _json(
        {"$ref": "#/components/schemas/RateLimited"},
        "Too many requests from this token, reader or address (see Retry-After)",
        headers={"Retry-After": {"description": "Seconds to wait",
                                 "schema": {"type": "integer"}}}))
    answers.setdefault(400, _json(ERROR_REF, "A malformed request: a NUL character in the "
                                              "address, or a body that is not JSON"))
    if any(parameter.get("in") == "path" for parameter in operation.get("parameters", [])):
        answers.setdefault(404, _json(ERROR_REF, "Nothing at this address (a path parameter "
                                                   "not of its type names nothing either)"))
    if operation.get("security"):
        answers.setdefault(401, _json(ERROR_REF, "A token that is not valid, or none where "
                                                   "one is needed"))
        if method in UNSAFE:
            answers.setdefault(403, _json(ERROR_REF, "A session request without the CSRF "
                                                       "header"))
    if operation.get("parameters") or operation.get("requestBody"):
        answers.setdefault(422, _json(ERROR_REF, "A parameter or field out of range or of "
                                                   "the wrong type"))
