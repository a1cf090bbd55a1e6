import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest

from profileviewer.client import NotFoundError, ProfileRef
from profileviewer.insights import ViewedProduct, recently_viewed_not_purchased
from tests.insights.fakes import NOW, FakeClient, ordered, viewed

JOE = ProfileRef.parse("userId:qrc-117322")


def ago(**kwargs: float):
    return NOW - timedelta(**kwargs)


def ids(products: list[ViewedProduct]) -> list[str]:
    return [p.product_id for p in products]


def test_it_lists_viewed_products_newest_first_with_their_details():
    client = FakeClient([viewed("SKU-1", ago(days=3)), viewed("SKU-2", ago(days=1))])
    products = recently_viewed_not_purchased(client, JOE)
    assert ids(products) == ["SKU-2", "SKU-1"]
    assert products[0] == ViewedProduct(
        product_id="SKU-2",
        name="Product SKU-2",
        price=Decimal("19.99"),
        currency="GBP",
        category="Shoes",
        image_url="/sandbox/products/SKU-2.svg",
        url="https://shop.example.com/p/SKU-2",
        viewed_at=ago(days=1),
    )


def test_a_product_bought_after_it_was_viewed_is_left_out():
    client = FakeClient(
        [viewed("SKU-1", ago(days=3)), viewed("SKU-2", ago(days=2)), ordered(ago(days=1), "SKU-1")]
    )
    assert ids(recently_viewed_not_purchased(client, JOE)) == ["SKU-2"]


def test_a_product_bought_in_the_same_moment_as_the_view_counts_as_bought():
    client = FakeClient([viewed("SKU-1", ago(days=1)), ordered(ago(days=1), "SKU-1")])
    assert recently_viewed_not_purchased(client, JOE) == []


def test_a_purchase_before_the_last_view_does_not_hide_the_product():
    client = FakeClient(
        [
            ordered(ago(days=10), "SKU-1"),
            viewed("SKU-1", ago(days=12)),
            viewed("SKU-1", ago(days=2)),
        ]
    )
    products = recently_viewed_not_purchased(client, JOE)
    assert ids(products) == ["SKU-1"]
    assert products[0].viewed_at == ago(days=2)


def test_a_product_viewed_many_times_appears_once_at_its_latest_view():
    client = FakeClient(
        [viewed("SKU-1", ago(hours=h)) for h in (5, 3, 9)] + [viewed("SKU-2", ago(hours=4))]
    )
    products = recently_viewed_not_purchased(client, JOE)
    assert ids(products) == ["SKU-1", "SKU-2"]
    assert products[0].viewed_at == ago(hours=3)


def test_it_returns_at_most_limit_products():
    client = FakeClient([viewed(f"SKU-{i}", ago(hours=i)) for i in range(1, 20)])
    assert ids(recently_viewed_not_purchased(client, JOE, limit=3)) == ["SKU-1", "SKU-2", "SKU-3"]


def test_it_reads_only_product_views_and_orders_and_stops_once_it_has_enough():
    views = [viewed(f"SKU-{i}", ago(minutes=i)) for i in range(1, 1000)]
    client = FakeClient([*views, ordered(ago(days=1), "SKU-1")])
    recently_viewed_not_purchased(client, JOE, limit=5)
    assert client.event_calls("product_viewed") == 1
    assert client.event_calls("order_completed") == 1
    assert all(q.include in {"product_viewed", "order_completed"} for _, q in client.calls)


def test_it_pages_further_back_when_recent_views_were_all_bought():
    # 150 recent views of 150 products, all bought afterwards; the unbought one is older.
    recent = [viewed(f"SKU-{i}", ago(hours=1, minutes=i)) for i in range(150)]
    bought = ordered(ago(minutes=1), *[f"SKU-{i}" for i in range(150)])
    old = viewed("SKU-OLD", ago(days=40))
    client = FakeClient([*recent, bought, old])
    assert ids(recently_viewed_not_purchased(client, JOE)) == ["SKU-OLD"]
    assert client.event_calls("product_viewed") == 2


def test_the_newest_orders_are_read_beside_the_first_views_in_one_round_trip():
    both_reading = threading.Barrier(2)

    class MeetingClient(FakeClient):
        """Each read waits (up to 5 s) for the other to be in flight too."""

        def events(self, *args, **kwargs):
            try:
                both_reading.wait(timeout=5)
                self.overlapped.append(True)
            except threading.BrokenBarrierError:
                self.overlapped.append(False)
            return super().events(*args, **kwargs)

    client = MeetingClient([viewed("SKU-1", ago(days=1)), ordered(ago(days=300), "SKU-1")])
    client.overlapped = []
    assert ids(recently_viewed_not_purchased(client, JOE)) == ["SKU-1"]
    assert client.overlapped == [True, True], "the two reads overlap"


def test_a_view_older_than_the_newest_100_orders_reads_the_orders_around_it():
    # 150 recent orders of other products; SKU-OLD was viewed 40 days ago and bought 39 days
    # ago, before all of them: it must still count as bought.
    recent_orders = [ordered(ago(days=1, minutes=i), f"OTHER-{i}") for i in range(150)]
    client = FakeClient(
        [
            *recent_orders,
            viewed("SKU-NEW", ago(hours=1)),
            viewed("SKU-OLD", ago(days=40)),
            ordered(ago(days=39), "SKU-OLD"),
        ]
    )
    assert ids(recently_viewed_not_purchased(client, JOE)) == ["SKU-NEW"]
    order_queries = [q for _, q in client.calls if q.include == "order_completed"]
    assert order_queries[0].start is None  # the newest page, read beside the views
    # Then only the span the newest page did not cover, back to the oldest view.
    assert order_queries[1].start is not None and order_queries[1].start < ago(days=40)
    assert order_queries[1].end is not None and order_queries[1].end <= ago(days=1)


def test_views_without_a_product_id_or_with_odd_prices_do_not_break_it():
    client = FakeClient(
        [
            viewed("SKU-1", ago(days=1), price="not a number"),
            viewed("", ago(days=2)),
            viewed("SKU-3", ago(days=3), price=None, name=None),
        ]
    )
    products = recently_viewed_not_purchased(client, JOE)
    assert ids(products) == ["SKU-1", "SKU-3"]
    assert products[0].price is None
    assert products[1].name == "SKU-3"


def test_a_customer_who_viewed_nothing_gets_an_empty_list():
    client = FakeClient([ordered(ago(days=1), "SKU-1")])
    assert recently_viewed_not_purchased(client, JOE) == []


def test_a_limit_below_one_gives_an_empty_list_without_calling_upstream():
    client = FakeClient([viewed("SKU-1", ago(days=1))])
    assert recently_viewed_not_purchased(client, JOE, limit=0) == []
    assert client.calls == []


def test_an_order_sharing_the_millisecond_of_the_newest_pages_last_one_still_counts():
    # 99 recent orders, then two in the same millisecond T: the newest page of 100 ends with
    # the first of them, and the order of SKU-P (viewed at T) is the 101st, on the next page.
    t = ago(days=3)
    orders = [ordered(t + timedelta(minutes=m), f"OTHER-{m}") for m in range(1, 100)]
    client = FakeClient(
        [
            *orders,
            ordered(t, "OTHER-0"),
            ordered(t, "SKU-P"),
            viewed("SKU-P", t),
            viewed("SKU-NEW", ago(hours=1)),
        ]
    )
    assert ids(recently_viewed_not_purchased(client, JOE)) == ["SKU-NEW"]


class NobodyClient(FakeClient):
    """A customer not found: views answer 404 at once, the orders read beside them later."""

    orders_done = False

    def events(self, ref, query=None, **kwargs):
        if query is not None and query.include == "order_completed":
            time.sleep(0.2)
            self.orders_done = True
        raise NotFoundError("Profile was not found.")


def test_an_unknown_profile_leaves_no_read_still_running_when_it_answers():
    # The newest orders are read beside the first page of views: when that page finds no one,
    # the orders read must have ended by the time the caller has the error.
    client = NobodyClient()
    with pytest.raises(NotFoundError):
        recently_viewed_not_purchased(client, JOE)
    assert client.orders_done
