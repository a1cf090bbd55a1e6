"""Property-based requests from the OpenAPI document against the live sandbox.

schemathesis generates valid and invalid parameters for every documented operation; each
answer must be documented (status, content type, headers, body schema) and never a 5xx.
"""

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from profileviewer.sandbox.openapi import document
from tests.sandbox.factories import TOKEN, add_series, api_fixture, make_profile  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

schema = schemathesis.openapi.from_dict(document())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def demo_data():
    joe = make_profile(external_id="qrc-117322", email="joe@example.com", first_name="Joe")
    add_series(joe, "page_viewed", 30, step=timedelta(hours=1))


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_generated_requests_get_documented_answers(case, api, demo_data):
    # Fuzz inside the demo tenant with the demo key (other tenants all stop at 401), and
    # never send generated fault-injection headers: they exist to produce 5xx on purpose.
    if "clientId" in (case.path_parameters or {}):
        case.path_parameters.update(clientId="demo", accountId="demo", brandId="DEMO")
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "x-sandbox-fault"}
    headers["auth-token"] = TOKEN
    case.headers = headers
    response = case.call(base_url=api.root, headers=headers)
    case.validate_response(response, checks=CHECKS)
