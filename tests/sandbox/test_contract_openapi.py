"""The sandbox's OpenAPI 3.1 document: valid, complete, and true to what the sandbox returns."""

import uuid
from datetime import timedelta

import jsonschema_rs
import pytest
import schemathesis
from django.urls import URLPattern, get_resolver
from schemathesis.specs.openapi import definitions

from profileviewer.sandbox.openapi import document
from tests.sandbox.factories import T0, add_series, api_fixture, make_profile  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

PATHS = {
    "/{clientId}/{accountId}/{brandId}/v1/profiles",
    "/{clientId}/{accountId}/{brandId}/v1/profiles/{profileRef}/traits",
    "/{clientId}/{accountId}/{brandId}/v1/profiles/{profileRef}/meta",
    "/{clientId}/{accountId}/{brandId}/v1/profiles/{profileRef}/events",
    "/{clientId}/{accountId}/{brandId}/v1/profiles/{profileRef}/external_ids",
    "/openapi.json",
    "/products/{productId}.svg",
}


def validator_for(doc, name):
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": f"#/components/schemas/{name}",
        "components": doc["components"],
    }
    return jsonschema_rs.Draft202012Validator(schema)


def test_the_document_is_served_without_auth_as_json(api):
    response = api.call(f"{api.root}/openapi.json", replace_headers=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    uuid.UUID(response.headers["x-amzn-RequestId"])
    assert response.json()["openapi"].startswith("3.1.")


def test_the_document_served_without_auth_names_no_api_key(api, settings):
    # PAPI-6: the key reads every profile; a document anyone may fetch must not hand it out.
    body = api.call(f"{api.root}/openapi.json", replace_headers=True).content.decode()
    assert settings.SANDBOX_API_TOKEN not in body and "sandbox-token" not in body


def test_the_document_is_valid_openapi_3_1():
    definitions.OPENAPI_31_VALIDATOR.validate(document())
    loaded = schemathesis.openapi.from_dict(document())
    operations = {op.ok().path for op in loaded.get_all_operations()}
    assert operations == PATHS


def test_every_sandbox_route_is_documented():
    sandbox = next(
        p for p in get_resolver().url_patterns if str(getattr(p, "pattern", "")) == "sandbox/"
    )
    named = {p.name for p in sandbox.url_patterns if isinstance(p, URLPattern)}
    assert named == {
        "sandbox-index",
        "sandbox-openapi",
        "sandbox-product-image",
        "sandbox-profiles",
        "sandbox-traits",
        "sandbox-meta",
        "sandbox-events",
        "sandbox-external-ids",
        "sandbox-unknown",
        # The fake Pipedrive API (sandbox/pipedrive.py): Pipedrive's, not the Profiles API.
        "sandbox-pipedrive-person",
        "sandbox-pipedrive-deal",
        "sandbox-pipedrive-unknown",
    }
    assert set(document()["paths"]) == PATHS


def test_every_profile_operation_documents_its_errors():  # PAPI-19, PAPI-20
    for path, item in document()["paths"].items():
        if "/v1/profiles" not in path:
            continue
        responses = item["get"]["responses"]
        assert {"200", "400", "401", "405", "413", "429", "500"} <= set(responses)
        if path.endswith(("traits", "meta", "events", "external_ids")):
            assert "404" in responses


def test_real_responses_match_the_documented_schemas(api):  # PAPI-14..18
    doc = api.call(f"{api.root}/openapi.json").json()
    joe = make_profile(
        external_id="qrc-117322",
        email="joe@example.com",
        first_name="Joe",
        subscribed={"email": True},
        custom_traits={"plan": "pro"},
    )
    make_profile(external_id="joe-2", email="joe@example.com")
    add_series(joe, "email_opened", 3, step=timedelta(hours=1))
    add_series(joe, "order_completed", 1, start=T0 + timedelta(days=1))
    checks = [
        ("Traits", api.profile("userId:qrc-117322", "traits").json()),
        ("Meta", api.profile("userId:qrc-117322", "meta").json()),
        ("EventPage", api.events("email:joe@example.com").json()),
        ("ExternalIds", api.profile("email:joe@example.com", "external_ids").json()),
        ("ProfileList", api.listing().json()),
        ("Error", api.profile("userId:nobody", "traits").json()),
    ]
    for item in api.profile("email:joe@example.com", "meta").json()["data"]:
        checks.append(("Meta", item))
    for name, body in checks:
        errors = [e.message for e in validator_for(doc, name).iter_errors(body)]
        assert errors == [], (name, errors)


def test_the_schemas_reject_a_wrong_shape():
    doc = document()
    assert not validator_for(doc, "Error").is_valid({"error": "nope"})
    assert not validator_for(doc, "EventPage").is_valid({"data": []})
    assert not validator_for(doc, "Traits").is_valid({"id": "x"})
