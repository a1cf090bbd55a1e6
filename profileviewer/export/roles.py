"""What the export may write: the profiles as the role given (``--role``) may see them.

No role means the least: phones masked, restricted traits removed, and no events, since an
export's events are their raw JSON (README, "Roles and masking").
"""

from __future__ import annotations

from django.contrib.auth.models import Group

from profileviewer import masking
from profileviewer.client import ProfilesClient
from profileviewer.export.runner import ExportOptions, ExportUsageError


def masked_client(client: ProfilesClient, options: ExportOptions) -> masking.MaskedClient:
    """`client`'s reads masked for the export's role; ExportUsageError for an unknown role,
    or for events a role may not see."""
    if options.role and not Group.objects.filter(name=options.role).exists():
        raise ExportUsageError(f"--role: there is no group named {options.role!r}.")
    policy = masking.for_role(options.role)
    if options.with_events and not policy.raw_events:
        who = f"The role {options.role!r}" if options.role else "An export without --role"
        raise ExportUsageError(
            f"{who} may not see raw events, which --with-events writes: choose a role with "
            "the 'See raw event JSON' permission, or leave out --with-events."
        )
    return masking.MaskedClient(client, policy)
