"""Derived signals about a customer, shared by the personalization API and the agents' viewer.

Everything here talks to the Profiles API only through the client's public interface
(``docs/client-interface.md``), so the same functions serve ``/api/v1/`` and the viewer's
"Viewed, not bought" and "Summary" panels.
"""

from profileviewer.insights.recommendations import ViewedProduct, recently_viewed_not_purchased
from profileviewer.insights.summary import ProfileSummary, profile_summary

__all__ = [
    "ProfileSummary",
    "ViewedProduct",
    "profile_summary",
    "recently_viewed_not_purchased",
]
