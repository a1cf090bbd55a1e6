"""A role is a Django group; what it may see in full is which of these permissions it holds.

``Role`` adds no table: it is a proxy of ``Group`` that exists to own the permissions, so they
are listed under "Roles and masking" when a group is edited in the admin.
"""

from __future__ import annotations

from django.contrib.auth.models import Group

PERMISSIONS = (
    ("view_full_phone", "See phone numbers in full"),
    ("view_restricted_traits", "See the custom traits MASKING_RESTRICTED_TRAITS names"),
    ("view_raw_events", "See raw event JSON"),
)


class Role(Group):
    class Meta:
        proxy = True
        default_permissions = ()
        permissions = PERMISSIONS
