"""The two roles to start with: `support` and `sales`, as groups holding their permissions.

Permissions are otherwise created only after every migration has run (post_migrate), so this
creates them itself.
"""

from django.db import migrations

PERMISSIONS = (
    ("view_full_phone", "See phone numbers in full"),
    ("view_restricted_traits", "See the custom traits MASKING_RESTRICTED_TRAITS names"),
    ("view_raw_events", "See raw event JSON"),
)

ROLES = {
    # Support verifies who is calling (a date of birth) and debugs tracking (raw events), but
    # needs no more than a phone's last 4 digits to confirm it.
    "support": ("view_restricted_traits", "view_raw_events"),
    # Sales calls customers, so sees phones in full, and nothing restricted or raw.
    "sales": ("view_full_phone",),
}


def create_roles(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="masking", model="role")
    permissions = {}
    for codename, name in PERMISSIONS:
        permissions[codename], _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
    for role, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*(permissions[codename] for codename in codenames))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("masking", "0001_roles"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
