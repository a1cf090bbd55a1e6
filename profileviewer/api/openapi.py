"""The OpenAPI 3.1 description of ``/api/v1/``, served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from functools import cache
from typing import Any

from profileviewer.insights import summary as summary_rules

MAX_LIMIT = 50  # most products the recommendation endpoint returns

REF_DESCRIPTION = (
    "A profile reference `idType:id` where `idType` is `userId` (the customer's external id), "
    "`email` or `id` (the Intilery id, a UUID). The id is percent-encoded as one path segment: "
    "`userId:acct%2F00042`, `email:jo%2Bnews%40example.com`. An `email:` reference may match "
    "several profiles; each endpoint says how it treats them."
)


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": False,
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    }


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


REQUEST_ID = _header("Our id for this request; quote it when asking for help.")
UPSTREAM_ID = _header("The Profiles API's request id (`x-amzn-RequestId`) when it was involved.")
RETRY_AFTER = _header("Seconds to wait before retrying.")
CACHE_STATUS = _header(
    "RFC 9211. Present when a `Cache-Control: no-cache` request was over its key's allowance "
    "and was answered as a normal one."
)


def _error(description: str, *, retry_after: bool = False, upstream: bool = False) -> dict:
    headers: dict[str, Any] = {"X-Request-Id": REQUEST_ID}
    if retry_after:
        headers["Retry-After"] = RETRY_AFTER
    if upstream:
        headers["X-Upstream-Request-Id"] = UPSTREAM_ID
    return {
        "description": description,
        "headers": headers,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


ERRORS = {
    "400": _error("`validation_error`: a malformed reference or parameter."),
    "401": _error(
        "`authentication_error`: the Authorization header is missing or malformed, or the key "
        "is unknown, revoked or expired."
    ),
    "403": _error(
        "`permission_error`: a browser key asked for a full profile, or a customer-token key "
        "sent no valid `X-Customer-Token` for this customer."
    ),
    "404": _error("`not_found`: no profile matches the reference.", upstream=True),
    "429": _error(
        "`rate_limit_error`: this service key is over its own rate limit.", retry_after=True
    ),
    "500": _error("`internal_server_error`: a bug of ours; quote the X-Request-Id."),
    "502": _error(
        "`upstream_error`: the Profiles API failed or sent something unreadable.", upstream=True
    ),
    "503": _error(
        "`upstream_rate_limited` (with Retry-After) or `upstream_misconfigured`: the Profiles "
        "API cannot serve this service right now.",
        retry_after=True,
        upstream=True,
    ),
    "504": _error("`upstream_timeout`: the Profiles API did not answer in time.", upstream=True),
}

REF_PARAMETER = {
    "name": "ref",
    "in": "path",
    "required": True,
    "description": REF_DESCRIPTION,
    "schema": {"type": "string", "pattern": "^(userId|email|id):.+$"},
    "examples": {
        "userId": {"value": "userId:qrc-117322"},
        "email": {"value": "email:joe.bloggs@example.com"},
    },
}
CACHE_CONTROL = {
    "name": "Cache-Control",
    "in": "header",
    "required": False,
    "description": (
        "`no-cache` skips our cache of Profiles API responses (kept "
        "`INTILERY_CACHE_TTL` seconds) and refreshes it, up to `API_FRESH_RATE` requests "
        "per second per key (burst `API_FRESH_BURST`); past that the request is answered "
        "as usual and the response carries a `Cache-Status` header saying so."
    ),
    "schema": {"type": "string"},
}


CUSTOMER_TOKEN = {
    "name": "X-Customer-Token",
    "in": "header",
    "required": False,
    "description": (
        "For a customer-token browser key only: an HS256 JWT signed with the key's signing "
        "secret, `sub` the customer reference and `exp` within an hour, minted by your back end."
    ),
    "schema": {"type": "string"},
}


def _ok(description: str, schema_name: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"X-Request-Id": REQUEST_ID, "Cache-Status": CACHE_STATUS},
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}
        },
    }


def _operation(
    operation_id: str, summary: str, description: str, ok: dict, extra_params: list | None = None
) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "parameters": [REF_PARAMETER, CACHE_CONTROL, CUSTOMER_TOKEN, *(extra_params or [])],
            "responses": {"200": ok, **ERRORS},
        }
    }


NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_NUMBER = {"type": ["number", "null"]}

SCHEMAS: dict[str, Any] = {
    "Error": _error_schema(),
    "Profile": {
        "type": "object",
        "required": [
            "id",
            "externalId",
            "email",
            "displayName",
            "marketingPreferences",
            "audiences",
            "lastActivityTime",
        ],
        "properties": {
            "id": {"type": "string", "description": "The Intilery id."},
            "externalId": {"type": "string"},
            "email": {"type": "string"},
            "displayName": {"type": "string"},
            "firstName": {"type": "string"},
            "lastName": {"type": "string"},
            "phone": {"type": "string"},
            "organisation": {"type": "string"},
            "industry": {"type": "string"},
            "customTraits": {"type": "object", "description": "Every other trait, as stored."},
            "marketingPreferences": {
                "type": "object",
                "description": "Channel name to subscribed (email, sms, whatsapp, facebook, push).",
                "additionalProperties": {"type": "boolean"},
            },
            "audiences": {"type": "array", "items": {"type": "string"}},
            "createdBy": NULLABLE_STRING,
            "lastActivityTime": {**NULLABLE_STRING, "format": "date-time"},
        },
    },
    "Profiles": {
        "type": "object",
        "required": ["ref", "profiles"],
        "properties": {
            "ref": {"type": "string"},
            "profiles": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Profile"},
                "minItems": 1,
            },
        },
    },
    "ViewedProduct": {
        "type": "object",
        "required": ["productId", "name", "price", "currency", "viewedAt"],
        "properties": {
            "productId": {"type": "string"},
            "name": {"type": "string"},
            "price": NULLABLE_NUMBER,
            "currency": {"type": "string"},
            "category": {"type": "string"},
            "imageUrl": {"type": "string"},
            "url": {"type": "string"},
            "viewedAt": {"type": "string", "format": "date-time"},
        },
    },
    "ViewedNotPurchased": {
        "type": "object",
        "required": ["ref", "limit", "data"],
        "properties": {
            "ref": {"type": "string"},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            "data": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ViewedProduct"},
                "maxItems": MAX_LIMIT,
            },
        },
    },
    "Summary": {
        "type": "object",
        "required": [
            "ref",
            "asOf",
            "daysSinceLastActivity",
            "orders90d",
            "revenue90d",
            "currency",
            "emailsSent90d",
            "emailsOpened90d",
            "emailsClicked90d",
            "openRate",
            "clickRate",
            "channelsSubscribed",
            "churnRisk",
            "churnReasons",
        ],
        "properties": {
            "ref": {"type": "string"},
            "asOf": {"type": "string", "format": "date-time"},
            "daysSinceLastActivity": {"type": ["integer", "null"], "minimum": 0},
            "orders90d": {"type": "integer", "minimum": 0},
            "revenue90d": {"type": "number"},
            "currency": NULLABLE_STRING,
            "emailsSent90d": {"type": "integer", "minimum": 0},
            "emailsOpened90d": {"type": "integer", "minimum": 0},
            "emailsClicked90d": {"type": "integer", "minimum": 0},
            "openRate": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "clickRate": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "channelsSubscribed": {"type": "array", "items": {"type": "string"}},
            "churnRisk": {"type": "string", "enum": ["low", "medium", "high"]},
            "churnReasons": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        },
    },
}


def _summary_description() -> str:
    rules = (summary_rules.__doc__ or "").strip()
    return (
        "Derived signals for personalisation and for agents, over the 90 days before the "
        "request, and a transparent rule-based churn risk with the reasons that produced it.\n\n"
        + rules
    )


@cache
def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Profile Viewer personalization API",
            "version": "1.0.0",
            "description": (
                "Customer context for internal services, from the Intilery Profiles API. The "
                "Intilery key stays on this server. Authenticate with a service key created by "
                "staff in the admin or with `manage.py create_service_key NAME`: "
                "`Authorization: Bearer <key>`. Each key has its own rate limit (429 with "
                "Retry-After over it) and, optionally, an expiry and browser origins allowed by "
                "CORS; a key with origins reads only the summary and recommendations, or only "
                "the customer an `X-Customer-Token` names. "
                'Errors use the Profiles API\'s body: `{"error": {"code", "message"}}`.'
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"serviceKey": []}],
        "paths": {
            "/api/v1/profiles/{ref}": _operation(
                "getProfile",
                "A compact profile",
                "Identity, key traits, marketing preferences, audiences and last activity. "
                "An `email:` reference returns every matching profile.",
                _ok("The matching profiles.", "Profiles"),
            ),
            "/api/v1/profiles/{ref}/recommendations/viewed-not-purchased": _operation(
                "getViewedNotPurchased",
                "Products viewed and not purchased since",
                "The last `limit` distinct products the customer viewed and did not buy at or "
                "after their latest view, newest view first. For an `email:` reference, views "
                "and orders of every matching profile are merged.",
                _ok("The products, newest view first.", "ViewedNotPurchased"),
                [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "description": f"How many products, 1 to {MAX_LIMIT}.",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_LIMIT,
                            "default": 5,
                        },
                    }
                ],
            ),
            "/api/v1/profiles/{ref}/summary": _operation(
                "getSummary",
                "Signals and churn risk",
                _summary_description(),
                _ok("The summary.", "Summary"),
            ),
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document.",
                            "headers": {"X-Request-Id": REQUEST_ID},
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "serviceKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A service key (`pvk_...`), shown once when created.",
                }
            },
            "schemas": SCHEMAS,
        },
    }
