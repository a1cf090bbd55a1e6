"""JSON shapes of the API's resources (camelCase, like the vendor's), described in openapi.py."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from profileviewer.client import Meta, ProfileRef
from profileviewer.insights import ProfileSummary, ViewedProduct


def timestamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def compact_profile(meta: Meta) -> dict[str, Any]:
    traits = meta.traits
    return {
        "id": traits.id,
        "externalId": traits.external_id,
        "email": traits.email,
        "displayName": traits.display_name,
        "firstName": traits.first_name,
        "lastName": traits.last_name,
        "phone": traits.phone,
        "organisation": traits.organisation,
        "industry": traits.industry,
        "customTraits": traits.custom,
        "marketingPreferences": {pref.channel: pref.subscribed for pref in traits.channels},
        "audiences": list(meta.audiences),
        "createdBy": meta.created_by.type if meta.created_by else None,
        "lastActivityTime": timestamp(meta.last_activity_time),
    }


def profiles_body(ref: ProfileRef, metas: list[Meta]) -> dict[str, Any]:
    return {"ref": str(ref), "profiles": [compact_profile(meta) for meta in metas]}


def viewed_product(product: ViewedProduct) -> dict[str, Any]:
    return {
        "productId": product.product_id,
        "name": product.name,
        "price": money(product.price),
        "currency": product.currency,
        "category": product.category,
        "imageUrl": product.image_url,
        "url": product.url,
        "viewedAt": timestamp(product.viewed_at),
    }


def summary_body(ref: ProfileRef, summary: ProfileSummary, now: datetime) -> dict[str, Any]:
    return {
        "ref": str(ref),
        "asOf": timestamp(now),
        "daysSinceLastActivity": summary.days_since_last_activity,
        "orders90d": summary.orders_90d,
        "revenue90d": money(summary.revenue_90d),
        "currency": summary.currency,
        "emailsSent90d": summary.emails_sent_90d,
        "emailsOpened90d": summary.emails_opened_90d,
        "emailsClicked90d": summary.emails_clicked_90d,
        "openRate": summary.open_rate,
        "clickRate": summary.click_rate,
        "channelsSubscribed": list(summary.channels_subscribed),
        "churnRisk": summary.churn_risk,
        "churnReasons": list(summary.churn_reasons),
    }
