"""A person's events: sessions, carts, orders, campaigns, in the shapes of docs/demo-data.md.

Times are ages in whole milliseconds before "now", so the same seed gives the same order
and spacing whenever it runs; the writer turns them into datetimes. A journey is built
from episodes (a browsing session, an order, a campaign email and its opens and clicks,
...), each a short coherent run of events. Exactly `person.events` events are produced:
the last episode is cut short when the budget runs out, which keeps it coherent (a
checkout cut before the order is an abandoned cart).
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from profileviewer.sandbox.demo import catalogue as cat
from profileviewer.sandbox.demo.people import Person, rng_uuid
from profileviewer.sandbox.store import NewEvent

# One step of an episode: (milliseconds after the episode starts, action, properties,
# whether it happens in the customer's browser (else in our email/SMS systems)).
Step = tuple[int, str, dict[str, Any], bool]

_SECOND = 1000
# Newsletter sends, oldest first by age (largest age first): bisect needs ascending keys.
_CAMPAIGN_AGES = [c.age_ms for c in reversed(cat.EMAIL_CAMPAIGNS)]
_CAMPAIGNS_BY_AGE = tuple(reversed(cat.EMAIL_CAMPAIGNS))


def _product_properties(product: cat.Product) -> dict[str, Any]:
    return {
        "product_id": product.product_id,
        "name": product.name,
        "price": product.price,
        "currency": cat.CURRENCY,
        "category": product.category,
        "image_url": product.image_url,
        "url": product.url,
    }


_PRODUCT_PROPERTIES = {p.product_id: _product_properties(p) for p in cat.PRODUCTS}
# Between the event and its arrival at the API.
_RECEIVED_DELAYS = tuple(timedelta(milliseconds=ms) for ms in range(120, 900))


@dataclass
class Journey:
    events: list[NewEvent]
    lifetime_value_pence: int = 0
    orders: int = 0
    abandoned_carts: int = 0
    categories_bought: set[str] = field(default_factory=set)


@dataclass
class _Timed:
    age_ms: int
    action: str
    properties: dict[str, Any]
    in_browser: bool


class _Builder:
    def __init__(self, person: Person) -> None:
        self.person = person
        self.rng = random.Random(person.journey_seed)
        self.timed: list[_Timed] = []
        self.journey = Journey(events=[])
        self.used_campaigns: set[str] = set()
        rng = self.rng
        # Favourite categories make sessions hang together (a camper looks at tents).
        prefs = person.custom_traits.get("preferences", {})
        self.favourites: list[str] = list(prefs.get("favouriteCategories", [])) or rng.sample(
            cat.CATEGORIES, 2
        )
        # Activity comes in bursts (a trip to plan, a sale): the centres of those bursts.
        self.bursts = [rng.random() for _ in range(rng.randint(2, 6))]

    # --- budget and placement ---------------------------------------------------------

    @property
    def remaining(self) -> int:
        return self.person.events - len(self.timed)

    def place(self, start_age: int, steps: list[Step]) -> None:
        """Add an episode starting `start_age` ms ago, dropping what would be in the future
        and what the budget has no room for."""
        for offset, action, properties, in_browser in steps[: self.remaining]:
            age = start_age - offset
            if age < 1:
                break
            self.timed.append(_Timed(age, action, properties, in_browser))

    def random_start(self, newest: int, oldest: int, duration: int) -> int:
        """An episode start between `oldest` and `newest` ms ago, bunched around bursts."""
        newest += duration
        if oldest <= newest:
            # Too young a profile for this episode: start it at once; `place` drops the part
            # that would lie in the future.
            return max(oldest, 1)
        rng = self.rng
        if rng.random() < 0.45:
            position = rng.random()
        else:
            position = min(1.0, max(0.0, rng.gauss(rng.choice(self.bursts), 0.03)))
        return newest + int((oldest - newest) * position)

    # --- the pieces of a session ----------------------------------------------------------

    def product(self, category: str | None = None) -> cat.Product:
        rng = self.rng
        if category is None:
            category = rng.choice(self.favourites) if rng.random() < 0.6 else None
        if category is None:
            return rng.choice(cat.PRODUCTS)
        return rng.choice(cat.PRODUCTS_BY_CATEGORY[category])

    @staticmethod
    def product_properties(product: cat.Product) -> dict[str, Any]:
        # Shared, never mutated (carts copy it): a million events need few distinct dicts.
        return _PRODUCT_PROPERTIES[product.product_id]

    @staticmethod
    def page(path: str, title: str, referrer: str = "") -> dict[str, Any]:
        return {"url": f"{cat.SITE}{path}", "path": path, "title": title, "referrer": referrer}

    def gap(self, low: int = 8, high: int = 150) -> int:
        """Seconds between two clicks, in ms (random() is several times cheaper than randint)."""
        return int((low + (high - low) * self.rng.random()) * _SECOND)

    def email_steps(
        self, campaign_id: str, subject: str, link_path: str, opened: bool, clicked: bool
    ) -> list[Step]:
        """An email sent, and maybe opened and clicked (which brings the customer over)."""
        rng = self.rng
        base = {
            "email_id": str(rng_uuid(rng)),
            "email_subject": subject,
            "campaign_id": campaign_id,
        }
        steps: list[Step] = [(0, "email_sent", base, False)]
        if not opened:
            return steps
        # Most opens come within hours, some days later.
        t = int(rng.expovariate(1 / (6 * cat.MS_PER_HOUR))) + 30 * _SECOND
        steps.append((t, "email_opened", dict(base), True))
        if clicked:
            t += self.gap(5, 240)
            url = f"{cat.SITE}{link_path}?utm_source=email&utm_campaign={campaign_id}"
            steps.append((t, "email_clicked", {**base, "link_url": url}, True))
            t += self.gap(1, 4)
            landing = self.page(link_path, link_path, cat.EMAIL_REFERRER)
            landing["title"] = self.title_of(link_path)
            steps.append((t, "page_viewed", landing, True))
            for _ in range(rng.randint(0, 2)):
                t += self.gap()
                steps.append((t, "product_viewed", self.product_properties(self.product()), True))
        return steps

    @staticmethod
    def title_of(path: str) -> str:
        for page_path, title in cat.PAGES:
            if page_path == path:
                return title
        return cat.BRAND

    def browse_steps(self, t: int = 0, *, login: bool | None = None) -> tuple[int, list[Step]]:
        """Landing, a few pages and product views; returns the time reached and the steps."""
        rng = self.rng
        steps: list[Step] = []
        if login is None:
            login = bool(self.person.external_id) and rng.random() < 0.25
        path, title = rng.choice(cat.PAGES[:12])
        steps.append((t, "page_viewed", self.page(path, title, rng.choice(cat.REFERRERS)), True))
        if login:
            t += self.gap(5, 30)
            steps.append((t, "logged_in", {"method": rng.choice(cat.LOGIN_METHODS)}, True))
        category = rng.choice(self.favourites) if rng.random() < 0.7 else None
        for _ in range(rng.randint(0, 3)):
            t += self.gap()
            if category and rng.random() < 0.5:
                path, title = cat.CATEGORY_PAGES[category]
            else:
                path, title = rng.choice(cat.PAGES)
            steps.append((t, "page_viewed", self.page(path, title, cat.SITE + "/"), True))
        for _ in range(rng.randint(1, 5)):
            t += self.gap()
            steps.append(
                (t, "product_viewed", self.product_properties(self.product(category)), True)
            )
        return t, steps

    def cart_steps(self, t: int, steps: list[Step]) -> tuple[int, str, list[tuple[Any, int]]]:
        """Add one to three of the products just viewed (or others) to a new cart."""
        rng = self.rng
        viewed = [s[2] for s in steps if s[1] == "product_viewed"]
        cart_id = rng_uuid(rng).hex[:16]
        chosen: list[tuple[Any, int]] = []
        for _ in range(rng.choices((1, 2, 3), weights=(60, 30, 10))[0]):
            if viewed and rng.random() < 0.8:
                product = cat.PRODUCTS_BY_ID[rng.choice(viewed)["product_id"]]
            else:
                product = self.product()
                t += self.gap()
                steps.append((t, "product_viewed", self.product_properties(product), True))
            if any(p.product_id == product.product_id for p, _ in chosen):
                continue
            quantity = rng.choices((1, 2, 3), weights=(85, 12, 3))[0]
            chosen.append((product, quantity))
            t += self.gap(3, 40)
            properties = {**self.product_properties(product), "quantity": quantity}
            properties["cart_id"] = cart_id
            steps.append((t, "added_to_cart", properties, True))
        t += self.gap(3, 60)
        path, title = cat.CART_PAGE
        steps.append((t, "page_viewed", self.page(path, title, cat.SITE + "/"), True))
        return t, cart_id, chosen

    def order_properties(self, cart_id: str, cart: list[tuple[Any, int]]) -> dict[str, Any]:
        """An order whose total adds up: subtotal - discount + shipping, all in pence."""
        rng = self.rng
        items = [
            {
                "product_id": p.product_id,
                "name": p.name,
                "price": p.price,
                "quantity": q,
                "category": p.category,
            }
            for p, q in cart
        ]
        subtotal = sum(p.price_pence * q for p, q in cart)
        discount_code, percent = ("", 0)
        if rng.random() < 0.25:
            discount_code, percent = rng.choice(cat.DISCOUNT_CODES)
        discount = subtotal * percent // 100
        shipping, method = rng.choice(cat.SHIPPING_OPTIONS[1:])
        if method == "standard" and subtotal - discount >= cat.FREE_SHIPPING_FROM_PENCE:
            shipping = 0
        total = subtotal - discount + shipping
        return {
            "order_id": f"NW{rng.randrange(10**7, 10**8)}",
            "cart_id": cart_id,
            "total": total / 100,
            "subtotal": subtotal / 100,
            "discount": discount / 100,
            "currency": cat.CURRENCY,
            "item_count": sum(q for _, q in cart),
            "items": items,
            "shipping": shipping / 100,
            "shipping_method": method,
            "discount_code": discount_code,
        }

    def order_steps(self) -> list[Step]:
        rng = self.rng
        t, steps = self.browse_steps()
        t, cart_id, cart = self.cart_steps(t, steps)
        t += self.gap(10, 90)
        path, title = cat.CHECKOUT_PAGE
        steps.append((t, "page_viewed", self.page(path, title, cat.SITE + "/cart"), True))
        t += self.gap(40, 300)
        steps.append((t, "order_completed", self.order_properties(cart_id, cart), True))
        if self.person.email:
            t += self.gap(5, 60)
            campaign, subject = cat.ORDER_CONFIRMATION
            opened = rng.random() < 0.7
            for offset, action, props, browser in self.email_steps(
                campaign, subject, "/account", opened, clicked=False
            ):
                steps.append((t + offset, action, props, browser))
        return steps

    def abandoned_cart_steps(self) -> list[Step]:
        rng = self.rng
        t, steps = self.browse_steps()
        t, _cart_id, _cart = self.cart_steps(t, steps)
        if self.person.email and self.person.subscribed.get("email"):
            # The reminder goes out a few hours later; sometimes it wins the sale back.
            t += rng.randint(2 * cat.MS_PER_HOUR, 24 * cat.MS_PER_HOUR)
            campaign, subject = cat.CART_REMINDER
            opened = rng.random() < self.person.open_rate + 0.15
            clicked = opened and rng.random() < self.person.click_rate + 0.1
            reminder = self.email_steps(campaign, subject, "/cart", opened, clicked)
            steps.extend((t + offset, a, p, b) for offset, a, p, b in reminder)
        return steps

    # --- episodes placed on the timeline ---------------------------------------------------

    def web_window(self) -> tuple[int, int]:
        """(newest, oldest) ages at which this person visits the site."""
        person = self.person
        newest = max(person.lapsed_age_ms, 60 * _SECOND)
        if person.script == "joe":
            # Joe's last two days are scripted (see joe_script).
            newest = 2 * cat.MS_PER_DAY
        return newest, person.created_age_ms - 10 * cat.MS_PER_MINUTE

    def add_campaign_email(self) -> bool:
        """A newsletter from the calendar sent while the person was subscribed."""
        person, rng = self.person, self.rng
        if not person.email or not person.subscribed.get("email"):
            return False
        # Campaigns newer than the profile (ages below its creation age).
        count = bisect.bisect_left(_CAMPAIGN_AGES, person.created_age_ms - cat.MS_PER_HOUR)
        if count == 0:
            return False
        for _ in range(4):
            campaign = _CAMPAIGNS_BY_AGE[rng.randrange(count)]
            if campaign.campaign_id not in self.used_campaigns:
                break
        else:
            return False
        self.used_campaigns.add(campaign.campaign_id)
        engaged = person.lapsed_age_ms == 0 or campaign.age_ms > person.lapsed_age_ms
        opened = engaged and rng.random() < person.open_rate
        clicked = opened and rng.random() < person.click_rate
        steps = self.email_steps(
            campaign.campaign_id, campaign.subject, campaign.link_path, opened, clicked
        )
        # Sends go out over ten minutes.
        self.place(campaign.age_ms - rng.randrange(10 * cat.MS_PER_MINUTE), steps)
        return True

    def add_sms(self) -> bool:
        person, rng = self.person, self.rng
        if not person.phone or not person.subscribed.get("sms"):
            return False
        candidates = [
            c for c in cat.SMS_CAMPAIGNS if c.age_ms < person.created_age_ms - cat.MS_PER_HOUR
        ]
        candidates = [c for c in candidates if c.campaign_id not in self.used_campaigns]
        if not candidates:
            return False
        campaign = rng.choice(candidates)
        self.used_campaigns.add(campaign.campaign_id)
        properties = {
            "message_id": str(rng_uuid(rng)),
            "campaign_id": campaign.campaign_id,
            "text": campaign.text,
        }
        self.place(campaign.age_ms, [(0, "sms_sent", properties, False)])
        return True

    def add_web_episode(self, steps: list[Step]) -> None:
        newest, oldest = self.web_window()
        duration = steps[-1][0] if steps else 0
        self.place(self.random_start(newest, oldest, duration), steps)

    def add_episode(self) -> None:
        person, rng = self.person, self.rng
        kinds = ["browse", "order", "cart", "email", "sms", "login", "identify"]
        weights = [4.0, 8 * person.buy_rate, 1.2, 4.0, 0.6, 1.0, 0.15]
        kind = rng.choices(kinds, weights=weights)[0]
        if kind == "email" and self.add_campaign_email():
            return
        if kind == "sms" and self.add_sms():
            return
        if kind == "order":
            self.add_web_episode(self.order_steps())
        elif kind == "cart":
            self.add_web_episode(self.abandoned_cart_steps())
        elif kind == "login" and person.external_id:
            self.add_web_episode(
                [(0, "logged_in", {"method": rng.choice(cat.LOGIN_METHODS)}, True)]
            )
        elif kind == "identify" and person.external_id:
            self.add_web_episode([(0, "identify", {}, True)])
        else:
            self.add_web_episode(self.browse_steps()[1])

    # --- first events and scripts ------------------------------------------------------------

    def opening(self) -> None:
        person, rng = self.person, self.rng
        created = person.created_age_ms
        if person.origin == "registered":
            method = rng.choice(("password", "password", "google"))
            referrer = rng.choice(cat.REFERRERS)
            steps: list[Step] = [
                (0, "registered", {"method": method, "referrer": referrer}, True),
                (2 * _SECOND, "identify", {}, True),
            ]
            if person.email and person.subscribed.get("email"):
                campaign, subject = cat.WELCOME
                opened = rng.random() < 0.6
                welcome = self.email_steps(campaign, subject, "/new-in", opened, False)
                steps.extend((60 * _SECOND + o, a, p, b) for o, a, p, b in welcome)
            self.place(created, steps)
        elif person.origin == "imported":
            self.place(created, [(0, "identify", {}, False)])

    def joe_script(self) -> None:
        """Joe's recent days: a newsletter he read, a fresh order, and products he looked at
        afterwards without buying (the vendor's "viewed but not bought" example)."""
        rng = self.rng
        order_start = 12 * cat.MS_PER_DAY + 3 * cat.MS_PER_HOUR
        self.place(order_start, self.order_steps())
        latest = cat.EMAIL_CAMPAIGNS[-1]
        self.used_campaigns.add(latest.campaign_id)
        self.place(
            latest.age_ms,
            self.email_steps(latest.campaign_id, latest.subject, latest.link_path, True, True),
        )
        bought = {
            item["product_id"]
            for t in self.timed
            if t.action == "order_completed"
            for item in t.properties["items"]
        }
        wanted = [p for p in cat.PRODUCTS if p.product_id not in bought]
        wanted = [p for p in wanted if p.category in ("Jackets", "Footwear", "Bags")]
        viewed = rng.sample(wanted, 6)
        # Yesterday evening: three products; two hours ago: the last three and a cart.
        for start, products in (
            (26 * cat.MS_PER_HOUR, viewed[:3]),
            (2 * cat.MS_PER_HOUR, viewed[3:]),
        ):
            t = 0
            steps: list[Step] = [
                (t, "page_viewed", self.page("/", cat.PAGES[0][1], "https://www.google.com/"), True)
            ]
            t += self.gap(5, 20)
            steps.append((t, "logged_in", {"method": "password"}, True))
            for product in products:
                t += self.gap(20, 90)
                steps.append((t, "product_viewed", self.product_properties(product), True))
            self.place(start, steps)
        cart_id = rng_uuid(rng).hex[:16]
        properties = {**self.product_properties(viewed[-1]), "quantity": 1, "cart_id": cart_id}
        self.place(
            2 * cat.MS_PER_HOUR - 5 * cat.MS_PER_MINUTE, [(0, "added_to_cart", properties, True)]
        )

    def guest_script(self) -> None:
        """A guest checkout: no account, known by the email given at the checkout."""
        start = self.person.created_age_ms
        steps = self.order_steps()
        self.place(start, steps)

    def build(self) -> Journey:
        person = self.person
        if person.script == "guest":
            self.guest_script()
        self.opening()
        if person.script == "joe":
            self.joe_script()
        while self.remaining > 0:
            before = self.remaining
            self.add_episode()
            if self.remaining == before:
                # An episode can land entirely in the future for a profile a few minutes
                # old; a plain page view always fits.
                _newest, oldest = self.web_window()
                age = self.rng.randint(1, max(1, min(oldest, person.created_age_ms - 1)))
                path, title = cat.PAGES[0]
                self.timed.append(_Timed(age, "page_viewed", self.page(path, title), True))
        self.tally()
        return self.journey

    def tally(self) -> None:
        """Orders, spend and abandoned carts from the events that made it into the journey
        (an episode cut short by the budget may have lost its order)."""
        journey = self.journey
        carts: set[str] = set()
        for timed in self.timed:
            if timed.action == "added_to_cart":
                carts.add(timed.properties["cart_id"])
            elif timed.action == "order_completed":
                properties = timed.properties
                journey.orders += 1
                journey.lifetime_value_pence += round(properties["total"] * 100)
                journey.categories_bought.update(i["category"] for i in properties["items"])
                carts.discard(properties["cart_id"])
        journey.abandoned_carts = len(carts)


def build_journey(person: Person, now: datetime) -> Journey:
    """Exactly `person.events` events for `person`, oldest first, times before `now`."""
    builder = _Builder(person)
    journey = builder.build()
    rng = builder.rng
    # Oldest first (largest age); ties keep the order the episode gave them.
    builder.timed.sort(key=lambda timed: -timed.age_ms)
    append = journey.events.append
    random_ = rng.random
    delays = _RECEIVED_DELAYS
    n_delays = len(delays)
    ip, user_agent = person.ip, person.user_agent
    for timed in builder.timed:
        browser = timed.in_browser
        append(
            NewEvent(
                action=timed.action,
                event_time=now - timedelta(milliseconds=timed.age_ms),
                properties=timed.properties,
                received_delay=delays[int(random_() * n_delays)],
                ip=ip if browser else "",
                user_agent=user_agent if browser else "",
                event_id=rng_uuid(rng),
            )
        )
    return journey
