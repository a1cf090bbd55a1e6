"""The OpenAPI 3.1 document of the sandbox Profiles API, served at /sandbox/openapi.json.

Built from a plain dict so it stays next to the code it describes; the contract tests load
it with schemathesis and check every path the sandbox routes is here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from profileviewer.sandbox.faults import HEADER as FAULT_HEADER
from profileviewer.sandbox.params import MAX_ID_LENGTH, MAX_PAGE_SIZE, WINDOW

TENANT = "/{clientId}/{accountId}/{brandId}/v1/profiles"
REF = "/{profileRef}"

_ERROR_CODES = [
    "invalid_request_error",
    "validation_error",
    "authentication_error",
    "not_found",
    "rate_limit_error",
    "internal_server_error",
]


def _schema_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"x-amzn-RequestId": {"$ref": "#/components/headers/RequestId"}},
        "content": {"application/json": {"schema": schema}},
    }


def _error(description: str) -> dict[str, Any]:
    return _json(_schema_ref("Error"), description)


_API_ERRORS: dict[str, Any] = {
    "400": _error(
        "invalid_request_error (content-type, X-Sandbox-Fault) or validation_error "
        "(profile reference, from/size, dates, sort, scrollId)."
    ),
    "401": _error("authentication_error: missing or wrong auth-token, or another tenant."),
    "405": _error("invalid_request_error: only GET is allowed (see the Allow header)."),
    "413": _error("invalid_request_error: the request is larger than 1 MB."),
    "429": {
        **_error("rate_limit_error: over 100 requests/s (burst 500) for this API token."),
        "headers": {
            "x-amzn-RequestId": {"$ref": "#/components/headers/RequestId"},
            "Retry-After": {
                "description": "Seconds to wait before retrying.",
                "schema": {"type": "string"},
            },
        },
    },
    "500": _error("internal_server_error."),
    "502": _error("A server error (injected by X-Sandbox-Fault)."),
    "503": _error("A server error (injected by X-Sandbox-Fault)."),
    "504": _error("A server error (injected by X-Sandbox-Fault)."),
}
_PROFILE_ERRORS = {
    **_API_ERRORS,
    "404": _error("not_found: no profile has this reference (message `Profile was not found.`)."),
}

_COMMON_PARAMETERS = [
    {"$ref": "#/components/parameters/clientId"},
    {"$ref": "#/components/parameters/accountId"},
    {"$ref": "#/components/parameters/brandId"},
    {"$ref": "#/components/parameters/contentType"},
    {"$ref": "#/components/parameters/faults"},
]
_PAGE_PARAMETERS = [
    {"$ref": "#/components/parameters/from"},
    {"$ref": "#/components/parameters/size"},
]


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def _profile_operation(
    operation_id: str, summary: str, ok: dict[str, Any], extra: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": [
                *_COMMON_PARAMETERS,
                {"$ref": "#/components/parameters/profileRef"},
                *(extra or []),
            ],
            "responses": {"200": ok, **_PROFILE_ERRORS},
        }
    }


_TRAITS_OR_LIST = {
    "oneOf": [
        _schema_ref("Traits"),
        {
            "type": "object",
            "required": ["data"],
            "properties": {"data": {"type": "array", "items": _schema_ref("Traits")}},
        },
    ]
}
_META_OR_LIST = {
    "oneOf": [
        _schema_ref("Meta"),
        {
            "type": "object",
            "required": ["data"],
            "properties": {"data": {"type": "array", "items": _schema_ref("Meta")}},
        },
    ]
}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": _ERROR_CODES},
                    "message": {"type": "string"},
                },
            }
        },
    },
    "Traits": {
        "type": "object",
        "description": "Known traits (PAPI-15) and every custom trait as further keys.",
        "required": ["id", "externalId", "email"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "externalId": {"type": "string"},
            "email": {"type": "string"},
            "firstName": {"type": "string"},
            "lastName": {"type": "string"},
            "phone": {"type": "string"},
            "website": {"type": "string"},
            "organisation": {"type": "string"},
            "industry": {"type": "string"},
            "marketingPreferences": {
                "type": "object",
                "properties": {
                    "channels": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["channel", "subscribed"],
                            "properties": {
                                "channel": {
                                    "type": "string",
                                    "enum": ["email", "sms", "whatsapp", "facebook", "push"],
                                },
                                "subscribed": {"type": "boolean"},
                            },
                        },
                    }
                },
            },
        },
        "additionalProperties": True,
    },
    "Meta": {
        "description": "The traits plus the profile's metadata (PAPI-18).",
        "allOf": [
            _schema_ref("Traits"),
            {
                "type": "object",
                "required": [
                    "_subscriptionId",
                    "createdBy",
                    "firstEvent",
                    "lastEvent",
                    "audiencesStatic",
                    "lastActivityTime",
                ],
                "properties": {
                    "_subscriptionId": {"type": "string"},
                    "createdBy": {
                        "type": "object",
                        "properties": {
                            "filename": {"type": "string"},
                            "createdTime": {"type": "string"},
                            "type": {"type": "string"},
                        },
                    },
                    "firstEvent": {
                        "type": "object",
                        "description": "Per event action, the raw data of its first event.",
                        "additionalProperties": _schema_ref("EventSummary"),
                    },
                    "lastEvent": {
                        "type": "object",
                        "description": "Per event action, the raw data of its last event.",
                        "additionalProperties": _schema_ref("EventSummary"),
                    },
                    "audiencesStatic": {"type": "array", "items": {"type": "string"}},
                    "lastActivityTime": {"type": ["string", "null"], "format": "date-time"},
                },
            },
        ],
    },
    "RawData": {
        "type": "object",
        "properties": {
            "userId": {"type": "string"},
            "action": {"type": "string"},
            "event": {"type": "string", "examples": ["Email Opened"]},
            "context": {
                "type": "object",
                "properties": {
                    "ip": {"type": "string"},
                    "user_agent": {"type": "string"},
                    "traits": {"type": "object"},
                },
            },
            "properties": {"type": "object"},
            "timestamp": {"type": "string", "format": "date-time"},
            "sendType": {"type": "string"},
        },
    },
    "EventSummary": {
        "allOf": [
            _schema_ref("RawData"),
            {
                "type": "object",
                "required": ["eventId", "receivedTime", "eventTime"],
                "properties": {
                    "eventId": {"type": "string"},
                    "receivedTime": {"type": "string", "format": "date-time"},
                    "eventTime": {"type": "string", "format": "date-time"},
                },
            },
        ]
    },
    "Event": {
        "type": "object",
        "required": [
            "id",
            "externalId",
            "email",
            "eventId",
            "eventTime",
            "receivedTime",
            "eventAction",
            "clientId",
            "accountId",
            "brandId",
            "customerId",
            "userId",
            "source",
            "rawData",
        ],
        "properties": {
            "id": {"type": "string", "format": "uuid", "description": "The profile's id."},
            "externalId": {"type": "string"},
            "email": {"type": "string"},
            "eventId": {"type": "string", "format": "uuid"},
            "eventTime": {"type": "string", "format": "date-time"},
            "receivedTime": {"type": "string", "format": "date-time"},
            "eventAction": {"type": "string", "examples": ["email_opened"]},
            "clientId": {"type": "string"},
            "accountId": {"type": "string"},
            "brandId": {"type": "string"},
            "customerId": {"type": "string", "format": "uuid"},
            "userId": {"type": "string"},
            "source": {"type": "string", "examples": ["SEGMENT_API"]},
            "rawData": _schema_ref("RawData"),
        },
    },
    "EventPage": {
        "type": "object",
        "required": ["scrollId", "data"],
        "properties": {
            "scrollId": {"type": "string"},
            "data": {"type": "array", "maxItems": MAX_PAGE_SIZE, "items": _schema_ref("Event")},
        },
    },
    "ExternalIds": {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "type", "profileId", "createdTime"],
                    "properties": {
                        "id": {"type": "string", "description": "The identity's value."},
                        "type": {"type": "string", "examples": ["userId", "email", "id"]},
                        "profileId": {"type": "string", "format": "uuid"},
                        "createdTime": {"type": "string", "format": "date-time"},
                    },
                },
            }
        },
    },
    "ProfileList": {
        "type": "object",
        "required": ["scrollId", "data"],
        "properties": {
            "scrollId": {"type": "string"},
            "data": {"type": "array", "items": _schema_ref("Traits")},
        },
    },
}

_PARAMETERS: dict[str, Any] = {
    "clientId": {
        "name": "clientId",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "examples": ["demo"]},
    },
    "accountId": {
        "name": "accountId",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "examples": ["demo"]},
    },
    "brandId": {
        "name": "brandId",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "examples": ["DEMO"]},
    },
    "profileRef": {
        "name": "profileRef",
        "in": "path",
        "required": True,
        "description": (
            "`{idType}:{id}`, one percent-encoded path segment; idType is userId, email or id "
            f"(a UUID); the id is at most {MAX_ID_LENGTH} characters (PAPI-2)."
        ),
        "schema": {"type": "string", "examples": ["userId:qrc-117322"]},
    },
    "contentType": {
        "name": "content-type",
        "in": "header",
        "required": True,
        "description": "Must be application/json (PAPI-5).",
        "schema": {"type": "string", "const": "application/json"},
    },
    "faults": {
        "name": FAULT_HEADER,
        "in": "header",
        "required": False,
        "description": (
            "Sandbox only: inject faults, e.g. `latency_ms=50; jitter_ms=10; error_rate=1; "
            "error_status=503; rate_limit_rate=0.5; retry_after=2; malformed_rate=1; "
            "slow_drip_ms=2000` (any subset)."
        ),
        "schema": {"type": "string"},
    },
    "from": _query(
        "from",
        f"Hits to skip (PAPI-11); from + size must not exceed {WINDOW}.",
        {"type": "integer", "minimum": 0, "default": 0, "maximum": WINDOW - 1},
    ),
    "size": _query(
        "size",
        "Hits per page, 1 to 100 (PAPI-11).",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": MAX_PAGE_SIZE},
    ),
}

_EVENT_PARAMETERS = [
    *_PAGE_PARAMETERS,
    _query("include", "One event action to include.", {"type": "string"}),
    _query("exclude", "Comma-separated event actions to exclude.", {"type": "string"}),
    _query(
        "start",
        "Events after this ISO 8601 date or datetime (exclusive; no zone means UTC).",
        {"type": "string", "examples": ["2006-01-02", "2006-01-02T15:04:05Z"]},
    ),
    _query(
        "end",
        "Events before this ISO 8601 date or datetime (exclusive; no zone means UTC).",
        {"type": "string", "examples": ["2006-01-02T15:04:05Z"]},
    ),
    _query(
        "sort",
        "By eventTime; descending by default.",
        {"type": "string", "enum": ["asc", "desc"], "default": "desc"},
    ),
]


@cache
def document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document (paths relative to the /sandbox server)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Intilery Profiles API (sandbox)",
            "version": "1.0.0",
            "description": (
                "A local, faithful implementation of the Intilery Profiles API with demo data. "
                "Every response carries x-amzn-RequestId; every error is "
                '`{"error": {"code", "message"}}`. Rate limit: 100 requests/s, burst 500, '
                "per API token. Requests over 1 MB get 413. Only GET is allowed."
            ),
        },
        "servers": [{"url": "/sandbox"}],
        "security": [{"authToken": []}],
        "paths": {
            TENANT: {
                "get": {
                    "operationId": "listProfiles",
                    "summary": "List profiles, most recently active first (PAPI-4).",
                    "parameters": [
                        *_COMMON_PARAMETERS,
                        {"$ref": "#/components/parameters/size"},
                        _query(
                            "scrollId",
                            "Continue a listing from its previous page.",
                            {"type": "string"},
                        ),
                    ],
                    "responses": {
                        "200": _json(_schema_ref("ProfileList"), "A page of profiles."),
                        **_API_ERRORS,
                    },
                }
            },
            f"{TENANT}{REF}/traits": _profile_operation(
                "getTraits",
                "A profile's traits; by email, every matching profile (PAPI-14, 15).",
                _json(_TRAITS_OR_LIST, "One traits object, or {data: [...]} by email."),
            ),
            f"{TENANT}{REF}/meta": _profile_operation(
                "getMeta",
                "A profile's traits and metadata; by email, every matching profile (PAPI-18).",
                _json(_META_OR_LIST, "One meta object, or {data: [...]} by email."),
            ),
            f"{TENANT}{REF}/events": _profile_operation(
                "getEvents",
                "A page of a profile's events; by email, of every matching profile "
                "(PAPI-11, 12, 13, 16, 17).",
                _json(_schema_ref("EventPage"), "A page of events."),
                _EVENT_PARAMETERS,
            ),
            f"{TENANT}{REF}/external_ids": _profile_operation(
                "getExternalIds",
                "A profile's identities (PAPI-3).",
                _json(_schema_ref("ExternalIds"), "The identities."),
                _PAGE_PARAMETERS,
            ),
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document.",
                    "security": [],
                    "responses": {"200": _json({"type": "object"}, "The OpenAPI document.")},
                }
            },
            "/products/{productId}.svg": {
                "get": {
                    "operationId": "getProductImage",
                    "summary": "A generated image of a demo product.",
                    "security": [],
                    "parameters": [
                        {
                            "name": "productId",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "An SVG tile.",
                            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
                        },
                        "404": _error("not_found: not a product id."),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "authToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "auth-token",
                    "description": "The API key (PAPI-6); the sandbox's: SANDBOX_API_TOKEN.",
                }
            },
            "headers": {
                "RequestId": {
                    "description": "The request's id (PAPI-9), a UUID.",
                    "schema": {"type": "string", "format": "uuid"},
                }
            },
            "parameters": _PARAMETERS,
            "schemas": _SCHEMAS,
        },
    }
