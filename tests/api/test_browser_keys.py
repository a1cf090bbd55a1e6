"""Keys in browsers: limited to non-identifying endpoints, or to the customer a signed token
from the customer's own back end names. A key with CORS origins cannot be anything else.

Personas: the storefront's key (non-identifying, in the shop's pages), the help widget's key
(customer-token; the shop's back end holds its signing secret), the web shop's server key,
Joe (signed in to the shop) and Priya (another customer), Alice (staff).
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
import requests
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from profileviewer.api.keys import create_service_key
from profileviewer.api.models import Access, ServiceKey
from profileviewer.audit import writer
from profileviewer.audit.models import AccessRecord
from tests.api.conftest import STOREFRONT, assert_never_shown

pytestmark = pytest.mark.postgres

JOE = "/api/v1/profiles/userId:qrc-117322"
PRIYA = "/api/v1/profiles/userId:acct%2F00042"
NON_IDENTIFYING = [JOE + "/summary", JOE + "/recommendations/viewed-not-purchased"]
README = Path(__file__).resolve().parents[2] / "README.md"


def refused(response: requests.Response, message: str) -> None:
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Request-Id"]
    error = response.json()["error"]
    assert error["code"] == "permission_error"
    assert message in error["message"]


# --- The storefront's non-identifying key -------------------------------------------------


@pytest.mark.parametrize("path", NON_IDENTIFYING)
def test_a_non_identifying_key_reads_the_summary_and_recommendations(api, path):
    response = api.get(path, api.storefront_token, headers={"Origin": STOREFRONT})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == STOREFRONT
    for identifying in ("joe.bloggs@example.com", "Joe", "Bloggs", "pro"):
        assert f'"{identifying}"' not in response.text


def test_a_non_identifying_key_gets_403_for_a_full_profile_and_the_page_can_read_why(api):
    response = api.get(JOE, api.storefront_token, headers={"Origin": STOREFRONT})
    refused(response, "reads only the summary and recommendations, not full profiles")
    assert response.headers["Access-Control-Allow-Origin"] == STOREFRONT
    assert "Joe" not in response.text


def test_a_refused_full_profile_read_is_in_the_audit_trail(api):
    writer.discard()
    api.get(JOE, api.storefront_token)
    writer.flush()
    [record] = AccessRecord.objects.all()
    assert (record.who, record.what, record.outcome) == (
        str(ServiceKey.objects.get(name="storefront")),
        "profile",
        "403",
    )


def test_a_server_key_still_reads_full_profiles(api):
    assert api.get(JOE, api.shop_token).json()["profiles"][0]["lastName"] == "Bloggs"


def test_a_browser_key_without_a_key_or_with_post_gets_the_usual_errors(api):
    assert api.get(JOE + "/summary").status_code == 401
    posted = requests.post(
        api.url + JOE + "/summary",
        headers={"Authorization": f"Bearer {api.storefront_token}"},
        timeout=10,
    )
    assert posted.status_code == 405


def test_a_preflight_lets_the_page_send_a_customer_token(api):
    preflight = requests.options(
        api.url + JOE,
        headers={"Origin": STOREFRONT, "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert "X-Customer-Token" in preflight.headers["Access-Control-Allow-Headers"]


# --- The help widget's customer-token key -------------------------------------------------


@pytest.fixture
def widget(api) -> tuple[str, str]:
    """The help widget's key and the signing secret only the shop's back end holds."""
    key, token = create_service_key(
        "help widget",
        allowed_origins=STOREFRONT,
        access=Access.CUSTOMER_TOKEN,
        rate_limit=1000,
        rate_burst=1000,
    )
    return token, key.customer_token_secret


def readme_minter() -> Callable[[str, str], str]:
    """The README's snippet, run as written: what the shop's back end would copy."""
    text = README.read_text()
    section = text[text.index("### Keys in browsers") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "the README shows how to mint a customer token"
    namespace: dict = {}
    exec(code[1], namespace)  # noqa: S102 (our own README)
    return namespace["customer_token"]


def as_customer(api, path: str, bearer: str, customer_token: str | None) -> requests.Response:
    headers = {"Origin": STOREFRONT}
    if customer_token is not None:
        headers["X-Customer-Token"] = customer_token
    return api.get(path, bearer, headers=headers)


@pytest.mark.parametrize("path", [JOE, *NON_IDENTIFYING])
def test_joe_reads_his_own_profile_with_a_token_minted_as_the_readme_shows(api, widget, path):
    bearer, secret = widget
    mint = readme_minter()
    response = as_customer(api, path, bearer, mint("userId:qrc-117322", secret))
    assert response.status_code == 200


def test_a_customer_token_for_an_email_matches_however_it_is_capitalised(api, widget):
    bearer, secret = widget
    token = readme_minter()("email:Joe.Bloggs@Example.com", secret)
    response = as_customer(api, "/api/v1/profiles/email:joe.bloggs%40example.com", bearer, token)
    assert response.status_code == 200


def test_joes_token_does_not_open_priyas_profile(api, widget):
    bearer, secret = widget
    token = readme_minter()("userId:qrc-117322", secret)
    refused(as_customer(api, PRIYA, bearer, token), "The customer token is for another customer.")
    refused(as_customer(api, PRIYA + "/summary", bearer, token), "for another customer")


@pytest.mark.parametrize("path", [JOE, *NON_IDENTIFYING])
def test_a_customer_token_key_without_a_token_is_refused_everywhere(api, widget, path):
    refused(as_customer(api, path, widget[0], None), "needs a customer token")


def claims(**changes: object) -> dict:
    now = int(time.time())
    return {"sub": "userId:qrc-117322", "iat": now, "exp": now + 300} | changes


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda s: jwt.encode(claims(exp=int(time.time()) - 120), s), "has expired"),
        (lambda s: jwt.encode(claims(exp=int(time.time()) + 86400), s), "lives too long"),
        (lambda s: jwt.encode(claims(), "pvs_someone-elses-secret-0123456789abcdef"), "not valid"),
        (lambda s: jwt.encode(claims(), None, algorithm="none"), "not valid"),
        (lambda s: jwt.encode(claims(), s, algorithm="HS512"), "not valid"),
        (lambda s: jwt.encode({"sub": "userId:qrc-117322"}, s), "not valid"),
        (lambda s: jwt.encode(claims(sub="qrc-117322"), s), "is not a profile reference"),
        (lambda s: "not-a-jwt", "not valid"),
        (lambda s: "x" * 5000, "not valid"),
    ],
    ids=[
        "expired",
        "too-long-lived",
        "other-secret",
        "alg-none",
        "hs512",
        "no-exp",
        "bad-sub",
        "garbage",
        "huge",
    ],
)
def test_a_bad_customer_token_is_refused_with_a_clear_403(api, widget, make, message, logged):
    bearer, secret = widget
    token = make(secret)
    response = as_customer(api, JOE, bearer, token)
    refused(response, message)
    assert_never_shown([bearer, secret], [response], logged)


def test_neither_the_key_nor_the_signing_secret_appears_in_answers_or_logs(api, widget, logged):
    bearer, secret = widget
    token = readme_minter()("userId:qrc-117322", secret)
    responses = [
        as_customer(api, JOE, bearer, token),
        as_customer(api, PRIYA, bearer, token),
        as_customer(api, JOE, bearer, None),
        as_customer(api, JOE, bearer, token + "x"),
    ]
    assert_never_shown([bearer, secret], responses, logged)


# --- A key with CORS origins is always a browser key -----------------------------------------


@pytest.mark.django_db
def test_a_server_key_with_origins_cannot_be_created():
    with pytest.raises(ValidationError, match="choose a browser access"):
        create_service_key("storefront", allowed_origins=STOREFRONT)
    assert not ServiceKey.objects.exists()


@pytest.mark.django_db
def test_the_command_asks_for_browser_with_an_origin_and_prints_the_signing_secret():
    with pytest.raises(CommandError, match="add --browser non-identifying or --browser"):
        call_command("create_service_key", "storefront", "--origin", STOREFRONT)
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_service_key",
        "help widget",
        "--origin",
        STOREFRONT,
        "--browser",
        "customer-token",
        stdout=out,
        stderr=err,
    )
    token, secret = out.getvalue().split()
    key = ServiceKey.objects.get(name="help widget")
    assert key.access == Access.CUSTOMER_TOKEN and key.customer_token_secret == secret
    assert secret.startswith("pvs_") and token.startswith(f"pvk_{key.prefix}_")
    assert token not in err.getvalue() and secret not in err.getvalue()


@pytest.fixture
def alice(db) -> Client:
    """Alice is staff."""
    client = Client()
    client.force_login(User.objects.create_superuser("alice", "alice@example.com", "pw-alice-1"))
    return client


def key_form(**changes: str) -> dict[str, str]:
    form = {"name": "storefront", "rate_limit": "10", "rate_burst": "20", "notes": ""}
    return form | {"allowed_origins": STOREFRONT, "access": "server"} | changes


def test_the_admin_refuses_an_unrestricted_key_with_origins(alice):
    response = alice.post("/admin/api/servicekey/add/", key_form())
    assert response.status_code == 200
    assert "choose a browser access" in response.content.decode()
    assert not ServiceKey.objects.exists()


def test_the_admin_cannot_turn_a_browser_key_back_into_a_server_key(alice):
    key, _ = create_service_key("storefront", allowed_origins=STOREFRONT, access="non_identifying")
    response = alice.post(f"/admin/api/servicekey/{key.pk}/change/", key_form())
    assert "choose a browser access" in response.content.decode()
    assert ServiceKey.objects.get(pk=key.pk).access == Access.NON_IDENTIFYING


def test_making_a_key_customer_token_in_the_admin_shows_its_signing_secret_once(alice):
    key, _ = create_service_key("storefront", allowed_origins=STOREFRONT, access="non_identifying")
    response = alice.post(
        f"/admin/api/servicekey/{key.pk}/change/", key_form(access="customer_token"), follow=True
    )
    key.refresh_from_db()
    shown = " ".join(str(m) for m in response.context["messages"])
    assert key.customer_token_secret and key.customer_token_secret in shown
    page = alice.get(f"/admin/api/servicekey/{key.pk}/change/").content.decode()
    assert key.customer_token_secret not in page


def test_bob_without_staff_rights_cannot_add_keys(db):
    bob = Client()
    bob.force_login(User.objects.create_user("bob", password="pw-bob-12345"))
    assert (
        bob.post("/admin/api/servicekey/add/", key_form(access="customer_token")).status_code == 302
    )
    assert not ServiceKey.objects.exists()


# --- Keys that had origins before the rule ---------------------------------------------------

BEFORE = ("api", "0003_service_key_role")
AFTER = ("api", "0004_key_expiry_rotation_browser_access")


@pytest.mark.django_db(transaction=True)
def test_the_migration_restricts_existing_keys_with_origins_and_says_why():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps.get_model("api", "ServiceKey")
    old.objects.create(
        name="storefront", prefix="aaaa1111", key_hash="h1", allowed_origins=STOREFRONT
    )
    old.objects.create(name="web shop", prefix="bbbb2222", key_hash="h2")
    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    storefront = ServiceKey.objects.get(name="storefront")
    assert storefront.access == Access.NON_IDENTIFYING
    assert "anyone can copy it" in storefront.notes
    web_shop = ServiceKey.objects.get(name="web shop")
    assert (web_shop.access, web_shop.notes) == (Access.SERVER, "")
    assert not storefront.has_expired()
