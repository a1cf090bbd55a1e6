"""The `support` and `sales` roles as the migration makes them: a live server's test database
is emptied between tests, groups and all, so tests that need them make them again."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.contrib.auth.models import Group, Permission, User

_migration = importlib.import_module("profileviewer.masking.migrations.0002_support_and_sales")


def make_roles() -> None:
    _migration.create_roles(apps, None)


# A role holding every masking permission, for exports compared with unmasked reads.
EVERYTHING = "everything"


def make_role(name: str, *codenames: str) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    perms = Permission.objects.filter(content_type__app_label="masking", codename__in=codenames)
    group.permissions.set(perms)
    return group


def give_role(user: User, name: str) -> User:
    make_roles()
    user.groups.add(Group.objects.get(name=name))
    return user
