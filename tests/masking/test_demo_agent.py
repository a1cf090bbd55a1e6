"""The sandbox's demo login (`make run`) has the support role: the demo shows a masked phone
and still opens raw events."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import override_settings

from profileviewer.masking import policy
from tests.masking.roles import make_roles

pytestmark = pytest.mark.django_db


@override_settings(SANDBOX=True)
def test_the_demo_agent_sees_raw_events_and_a_masked_phone():
    make_roles()
    call_command("ensure_demo_agent")
    call_command("ensure_demo_agent")  # make run runs it on every start
    demo = User.objects.get(username="demo")
    assert list(demo.groups.values_list("name", flat=True)) == ["support"]
    seen = policy.for_user(demo)
    assert seen.raw_events and not seen.full_phone


@override_settings(SANDBOX=True)
def test_the_demo_agent_is_refused_clearly_when_the_support_role_was_removed():
    make_roles()
    Group.objects.filter(name="support").delete()
    with pytest.raises(CommandError, match="no 'support' role"):
        call_command("ensure_demo_agent")
