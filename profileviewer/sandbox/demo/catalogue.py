"""The demo brand's fixed world: Northwind Outfitters' products, pages, campaigns and people.

Nothing here depends on the seed: the catalogue and the campaign calendar are the brand's,
the same for every seeded data set, so a product id or a campaign id means the same thing
in every sandbox.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

BRAND = "Northwind Outfitters"
SITE = "https://www.northwind-outfitters.example"
CURRENCY = "GBP"

# 18 months, the span the demo journeys cover up to "now".
HISTORY_DAYS = 548
MS_PER_MINUTE = 60_000
MS_PER_HOUR = 60 * MS_PER_MINUTE
MS_PER_DAY = 24 * MS_PER_HOUR
HISTORY_MS = HISTORY_DAYS * MS_PER_DAY


@dataclass(frozen=True, slots=True)
class Product:
    product_id: str
    name: str
    category: str
    price_pence: int

    @property
    def price(self) -> float:
        return self.price_pence / 100

    @property
    def image_url(self) -> str:
        # Served by the sandbox itself, so images show without internet.
        return f"/sandbox/products/{self.product_id}.svg"

    @property
    def url(self) -> str:
        return f"{SITE}/products/{self.product_id}"


_CATALOGUE: dict[str, list[tuple[str, int]]] = {
    "Jackets": [
        ("Storm Shell Waterproof Jacket", 14900),
        ("Ridgeline Insulated Parka", 21900),
        ("Coastal Windbreaker", 7900),
        ("Fellrunner Packable Jacket", 9900),
        ("Summit Down Jacket", 18900),
        ("Harbour Waxed Jacket", 16500),
    ],
    "Knitwear": [
        ("Merino Crew Jumper", 6900),
        ("Fisherman Cable Knit", 8900),
        ("Lambswool Half-Zip", 7400),
        ("Chunky Roll Neck", 8400),
        ("Cotton Breton Sweater", 4900),
    ],
    "Footwear": [
        ("Trailblazer Hiking Boot", 13900),
        ("Moorland Walking Shoe", 9900),
        ("Canvas Deck Shoe", 4500),
        ("Alpine Gaiter Boot", 17900),
        ("Harbour Wellington", 5500),
        ("Trail Running Shoe", 11000),
    ],
    "Base layers": [
        ("Merino Base Layer Top", 5500),
        ("Thermal Leggings", 3900),
        ("Seamless Sports Tee", 2900),
        ("Quarter-Zip Fleece", 4900),
    ],
    "Bags": [
        ("Daypack 22L", 6500),
        ("Expedition Rucksack 55L", 15900),
        ("Waxed Canvas Weekender", 11900),
        ("Roll-Top Dry Bag", 3400),
        ("Hip Pack", 2500),
    ],
    "Camping": [
        ("Two-Person Trek Tent", 24900),
        ("Three-Season Sleeping Bag", 12900),
        ("Self-Inflating Mat", 6900),
        ("Titanium Camp Mug", 2400),
        ("Compact Stove Set", 5900),
        ("Folding Camp Chair", 3900),
    ],
    "Accessories": [
        ("Wool Beanie", 1900),
        ("Touchscreen Gloves", 2400),
        ("Hiking Socks (3 pack)", 1800),
        ("Insulated Water Bottle", 2200),
        ("Polarised Sunglasses", 5900),
        ("Trekking Poles", 6400),
        ("Headtorch 400", 3500),
    ],
    "Trousers": [
        ("Stretch Hiking Trousers", 6900),
        ("Convertible Zip-Off Trousers", 5900),
        ("Waterproof Overtrousers", 7400),
        ("Cord Walking Trousers", 6400),
    ],
}

_PREFIXES = {
    "Jackets": "JKT",
    "Knitwear": "KNT",
    "Footwear": "FTW",
    "Base layers": "BSL",
    "Bags": "BAG",
    "Camping": "CMP",
    "Accessories": "ACC",
    "Trousers": "TRS",
}

PRODUCTS: tuple[Product, ...] = tuple(
    Product(f"NW-{_PREFIXES[category]}-{100 + n * 7:04d}", name, category, price)
    for category, items in _CATALOGUE.items()
    for n, (name, price) in enumerate(items)
)
PRODUCTS_BY_ID: dict[str, Product] = {product.product_id: product for product in PRODUCTS}
CATEGORIES: tuple[str, ...] = tuple(_CATALOGUE)
PRODUCTS_BY_CATEGORY: dict[str, tuple[Product, ...]] = {
    category: tuple(p for p in PRODUCTS if p.category == category) for category in CATEGORIES
}


def _slug(text: str) -> str:
    return text.lower().replace(" ", "-")


# (path, title) of the pages a session may visit besides product pages.
PAGES: tuple[tuple[str, str], ...] = (
    ("/", f"{BRAND}: outdoor clothing and kit"),
    *((f"/c/{_slug(c)}", f"{c} | {BRAND}") for c in CATEGORIES),
    ("/sale", f"Sale | {BRAND}"),
    ("/new-in", f"New in | {BRAND}"),
    ("/delivery", f"Delivery and returns | {BRAND}"),
    ("/stores", f"Find a store | {BRAND}"),
    ("/journal/layering-guide", f"The layering guide | {BRAND}"),
    ("/journal/best-uk-walks", f"Ten great UK walks | {BRAND}"),
    ("/journal/tent-care", f"How to look after your tent | {BRAND}"),
    ("/account", f"My account | {BRAND}"),
    ("/cart", f"Your basket | {BRAND}"),
)
CATEGORY_PAGES: dict[str, tuple[str, str]] = {
    c: (f"/c/{_slug(c)}", f"{c} | {BRAND}") for c in CATEGORIES
}
CHECKOUT_PAGE = ("/checkout", f"Checkout | {BRAND}")
CART_PAGE = ("/cart", f"Your basket | {BRAND}")

REFERRERS: tuple[str, ...] = (
    "",
    "",
    "https://www.google.com/",
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://www.instagram.com/",
    "https://www.facebook.com/",
    "https://duckduckgo.com/",
)
EMAIL_REFERRER = "https://mail.example.net/"

USER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
)

# --- Campaigns --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EmailCampaign:
    campaign_id: str
    subject: str
    # How long before "now" it went out, in milliseconds.
    age_ms: int
    link_path: str


@dataclass(frozen=True, slots=True)
class SmsCampaign:
    campaign_id: str
    text: str
    age_ms: int


_NEWSLETTER_SUBJECTS = (
    ("Everyone loves a freebie", "/sale"),
    ("Everything you need, in one place", "/new-in"),
    ("New season layers have landed", "/c/knitwear"),
    ("Your weekend walk, sorted", "/journal/best-uk-walks"),
    ("Boots built for bad weather", "/c/footwear"),
    ("Up to 30% off camping kit", "/c/camping"),
    ("The layering guide, updated", "/journal/layering-guide"),
    ("Last chance: sale ends tonight", "/sale"),
    ("Pack light, go further", "/c/bags"),
    ("Staff picks for this month", "/new-in"),
    ("Stay dry: waterproofs tested", "/c/jackets"),
    ("Free delivery this weekend", "/delivery"),
)


def _email_calendar() -> tuple[EmailCampaign, ...]:
    # About two campaigns a week for 18 months, on a fixed schedule (its own RNG, not the
    # seed's: the calendar is the brand's, shared by every data set).
    rng = random.Random(20240101)
    campaigns: list[EmailCampaign] = []
    age_days = HISTORY_DAYS - 2.0
    week = 0
    while age_days > 1.5:
        subject, link = _NEWSLETTER_SUBJECTS[week % len(_NEWSLETTER_SUBJECTS)]
        age_ms = int(age_days * MS_PER_DAY) + rng.randrange(MS_PER_HOUR)
        campaigns.append(EmailCampaign(f"NL-{len(campaigns) + 1:03d}", subject, age_ms, link))
        week += 1
        age_days -= rng.choice((3.0, 3.5, 4.0))
    return tuple(campaigns)


EMAIL_CAMPAIGNS: tuple[EmailCampaign, ...] = _email_calendar()

# Triggered emails: sent in reaction to a customer's behaviour, not on the calendar.
WELCOME = ("TRIAL_WELCOME", "Welcome to Northwind Outfitters")
CART_REMINDER = ("CART_REMINDER", "You left something in your basket")
ORDER_CONFIRMATION = ("ORDER_CONFIRMATION", "Thanks for your order")


def _sms_calendar() -> tuple[SmsCampaign, ...]:
    texts = (
        "Northwind: flash sale, 20% off jackets until midnight. Reply STOP to opt out",
        "Northwind: free delivery this weekend on all orders. Reply STOP to opt out",
        "Northwind: new boots are in store and online now. Reply STOP to opt out",
        "Northwind: your exclusive member offer ends Sunday. Reply STOP to opt out",
    )
    rng = random.Random(20240202)
    campaigns: list[SmsCampaign] = []
    age_days = HISTORY_DAYS - 10.0
    while age_days > 3:
        age_ms = int(age_days * MS_PER_DAY) + rng.randrange(MS_PER_HOUR)
        text = texts[len(campaigns) % len(texts)]
        campaigns.append(SmsCampaign(f"SMS-{len(campaigns) + 1:03d}", text, age_ms))
        age_days -= rng.choice((14.0, 17.0, 21.0))
    return tuple(campaigns)


SMS_CAMPAIGNS: tuple[SmsCampaign, ...] = _sms_calendar()

# --- People -----------------------------------------------------------------------------

FIRST_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Freya", "Grace", "Ella",
    "Noah", "Oliver", "George", "Arthur", "Leo", "Muhammad", "Harry", "Oscar", "Jack", "Theo",
    "Aisha", "Chloe", "Zara", "Hannah", "Ruth", "Fatima", "Niamh", "Siobhan", "Megan", "Ffion",
    "Daniel", "Samuel", "Rhys", "Callum", "Ewan", "Kwame", "Ravi", "Tomasz", "Luca", "Mateo",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Johnson", "Roberts", "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes",
    "Edwards", "Green", "Hall", "Wood", "Harris", "Lewis", "Martin", "Jackson", "Clarke",
    "Patel", "Khan", "Ali", "Begum", "Okafor", "Nowak", "O'Brien", "MacLeod", "Kowalski",
)  # fmt: skip
CITIES: tuple[tuple[str, str], ...] = (
    ("London", "GB"), ("London", "GB"), ("London", "GB"), ("Manchester", "GB"),
    ("Birmingham", "GB"), ("Leeds", "GB"), ("Glasgow", "GB"), ("Edinburgh", "GB"),
    ("Bristol", "GB"), ("Cardiff", "GB"), ("Belfast", "GB"), ("Sheffield", "GB"),
    ("Newcastle", "GB"), ("Nottingham", "GB"), ("Brighton", "GB"), ("York", "GB"),
    ("Inverness", "GB"), ("Kendal", "GB"), ("Dublin", "IE"), ("Amsterdam", "NL"),
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
SIGNUP_SOURCES = ("organic", "newsletter", "instagram", "google_ads", "referral", "in_store")
PLANS = ("free", "plus", "pro")
SIZES = ("XS", "S", "M", "L", "XL")
INDUSTRIES = ("Retail", "Education", "Healthcare", "Other", "Technology", "Hospitality")
ORGANISATIONS = (
    "Peak District Scouts", "Hillside Primary School", "Lakeland Guides Ltd",
    "Kestrel Adventure Centre", "Bramble & Co", "Northern Rail Walkers",
)  # fmt: skip
CSV_FILENAMES = (
    "staff listaug20.csv",
    "trade show leads 2025.csv",
    "newsletter_import_2025-03.csv",
    "store signups Q2.csv",
)
AUDIENCES = (
    "vip_customers",
    "newsletter",
    "cart_abandoners",
    "audience_board",
    "lapsed_customers",
    "campers",
    "trade_show_2025",
)
LOGIN_METHODS = ("password", "password", "password", "google", "magic_link")
SHIPPING_OPTIONS = ((0, "standard"), (495, "standard"), (795, "express"), (1295, "next_day"))
DISCOUNT_CODES = (("WELCOME10", 10), ("SPRING15", 15), ("MEMBER20", 20))
# Orders of this total (in pence) or more ship free on standard delivery.
FREE_SHIPPING_FROM_PENCE = 7500
