"""Roles and field masking: who may see what (policy.py) and the masking itself (masks.py).

A role is a Django group; its permissions (models.py) say what it sees in full. Everything
that shows customer data reads it through `MaskedClient(client, policy)`, so the rules apply in one
place. See README.md, "Roles and masking".
"""

from profileviewer.masking.masks import MaskedClient
from profileviewer.masking.policy import (
    FULL,
    RESTRICTED,
    Policy,
    current,
    for_agent,
    for_group,
    for_role,
    for_user,
    override,
)

__all__ = [
    "FULL",
    "RESTRICTED",
    "MaskedClient",
    "Policy",
    "current",
    "for_agent",
    "for_group",
    "for_role",
    "for_user",
    "override",
]
