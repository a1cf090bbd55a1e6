"""The customer in a few plain lines, for a ticket's reply box ("Insert into reply")."""

from __future__ import annotations

from profileviewer.client import ProfileRef
from profileviewer.viewer import services


def _money(amount: object, currency: str | None) -> str:
    return f"{amount} {currency}" if currency else str(amount)


def for_reply(ref: ProfileRef) -> str:
    header = services.profile_header(ref)[0]
    summary = services.summary_panel(ref)
    products = services.viewed_not_bought_panel(ref)
    traits = header.traits
    lines = [f"Customer: {traits.display_name}" + (f" <{traits.email}>" if traits.email else "")]
    days = summary.days_since_last_activity
    if days is None:
        lines.append("Last active: never")
    else:
        lines.append(f"Last active: {'today' if days == 0 else f'{days} days ago'}")
    orders = f"Orders (90 days): {summary.orders_90d}"
    if summary.orders_90d:
        orders += f", {_money(summary.revenue_90d, summary.currency)}"
    lines.append(orders)
    channels = ", ".join(summary.channels_subscribed) or "none"
    lines.append(f"Subscribed to: {channels}")
    lines.append(f"Churn risk: {summary.churn_risk}")
    if products:
        lines.append("Viewed, not bought: " + ", ".join(p.name for p in products[:3]))
    return "\n".join(lines) + "\n"
