"""The recommendation and summary endpoints, over real HTTP against the sandbox."""

import pytest

pytestmark = pytest.mark.postgres

VIEWED = "/api/v1/profiles/userId:qrc-117322/recommendations/viewed-not-purchased"


def test_viewed_not_purchased_lists_unbought_products_newest_view_first(api):
    response = api.get(VIEWED, api.shop_token)
    assert response.status_code == 200
    body = response.json()
    assert body["limit"] == 5
    assert [p["productId"] for p in body["data"]] == ["SKU-3", "SKU-1"]
    boots = body["data"][0]
    assert boots["name"] == "Boots"
    assert boots["price"] == 120
    assert boots["currency"] == "GBP"
    assert boots["imageUrl"] == "/sandbox/products/SKU-3.svg"


def test_the_limit_caps_the_number_of_products(api):
    response = api.get(VIEWED + "?limit=1", api.shop_token)
    assert [p["productId"] for p in response.json()["data"]] == ["SKU-3"]


@pytest.mark.parametrize(
    "limit", ["0", "-1", "10000", "abc", "", "2.5", "٣", "1" * 5000, "0" * 5000]
)
def test_a_bad_limit_is_a_validation_error(api, limit):
    response = api.get(VIEWED + f"?limit={limit}", api.shop_token)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": "limit must be a whole number from 1 to 50.",
    }


def test_a_limit_with_leading_zeros_is_read_as_its_number(api):
    response = api.get(VIEWED + "?limit=" + "0" * 5000 + "1", api.shop_token)
    assert response.status_code == 200
    assert response.json()["limit"] == 1


def test_recommendations_for_an_id_with_a_slash(api):
    response = api.get(
        "/api/v1/profiles/userId:acct%2F00042/recommendations/viewed-not-purchased", api.shop_token
    )
    assert response.status_code == 200
    assert response.json() == {"ref": "userId:acct/00042", "limit": 5, "data": []}


def test_summary_gives_signals_and_a_churn_risk_with_reasons(api):
    response = api.get("/api/v1/profiles/userId:qrc-117322/summary", api.shop_token)
    assert response.status_code == 200
    body = response.json()
    assert body["daysSinceLastActivity"] == 1
    assert (body["orders90d"], body["revenue90d"], body["currency"]) == (1, 19.0, "GBP")
    assert (body["emailsSent90d"], body["emailsOpened90d"], body["openRate"]) == (4, 1, 0.25)
    assert body["channelsSubscribed"] == ["email", "sms"]
    assert body["churnRisk"] == "low"
    assert body["churnReasons"] == ["Active 1 day ago", "1 order in the last 90 days"]


def test_a_long_inactive_customer_is_high_risk(api):
    body = api.get("/api/v1/profiles/userId:acct%2F00042/summary", api.shop_token).json()
    assert body["churnRisk"] == "high"
    assert "No activity for 200 days" in body["churnReasons"]
    assert "Not subscribed to any marketing channel" in body["churnReasons"]


def test_summary_of_an_email_merges_the_matching_profiles(api):
    body = api.get("/api/v1/profiles/email:sam.taylor%40example.com/summary", api.shop_token).json()
    assert body["ref"] == "email:sam.taylor@example.com"
    assert body["daysSinceLastActivity"] == 3


def test_summary_of_an_unknown_customer_is_404(api):
    response = api.get("/api/v1/profiles/userId:nobody/summary", api.shop_token)
    assert response.status_code == 404
