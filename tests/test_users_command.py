"""`broadsheet users create EMAIL --password P [--member] [--editor]`."""

from __future__ import annotations

import argparse
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from broadsheet.readers import commands
from broadsheet.readers.models import Membership, User
from broadsheet.readers.paywall import can_read_full

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"



def broadsheet(*argv: str) -> int:
    """Parse and run like the `broadsheet` command does."""
    parser = argparse.ArgumentParser(prog="broadsheet")
    sub = parser.add_subparsers(dest="command")
    commands.add_parser(sub)
    return commands.run(parser.parse_args(list(argv)))


def test_create_a_reader_who_can_sign_in_and_starts_the_trial(client, capsys, settings):
    settings.TRIAL_DAYS = 9
    assert broadsheet("users", "create", "Plain@Example.org", "--password", PASSWORD) == 0
    assert "Created plain@example.org (free trial)" in capsys.readouterr().out
    user = User.objects.get(email="plain@example.org")
    assert not user.is_staff
    membership = Membership.objects.get(user=user)  # like signing up: the usual free trial
    assert membership.state == Membership.State.TRIALING
    left = membership.trial_ends_at - timezone.now()
    assert timedelta(days=8, hours=23) < left <= timedelta(days=9)
    assert can_read_full(user)
    assert client.login(email="plain@example.org", password=PASSWORD)


def test_member_has_an_active_membership_without_billing(capsys):
    assert broadsheet("users", "create", "member@example.org", "--password", PASSWORD,
                      "--member") == 0
    assert "(member)" in capsys.readouterr().out
    user = User.objects.get(email="member@example.org")
    membership = Membership.objects.get(user=user)
    assert membership.state == Membership.State.ACTIVE
    assert membership.current_period_end is None and membership.stripe_subscription_id == ""
    assert can_read_full(user)


def test_editor_is_staff_in_the_editors_group(client):
    assert broadsheet("users", "create", "editor@example.org", "--password", PASSWORD,
                      "--editor", "--member") == 0
    editor = User.objects.get(email="editor@example.org")
    assert editor.is_staff and not editor.is_superuser
    assert editor.groups.filter(name="Editors").exists()
    for permission in ("sources.add_source", "sources.change_source", "sources.delete_source",
                       "sources.change_publisher", "curation.add_section",
                       "curation.change_section", "articles.change_article",
                       "articles.delete_article"):
        assert editor.has_perm(permission), permission
    assert not editor.has_perm("readers.change_user")
    assert not editor.has_perm("readers.change_membership")
    client.force_login(editor)
    assert client.get("/admin/").status_code == 200


def test_editors_share_one_group(capsys):
    broadsheet("users", "create", "e1@example.org", "--password", PASSWORD, "--editor")
    broadsheet("users", "create", "e2@example.org", "--password", PASSWORD, "--editor")
    assert Group.objects.filter(name="Editors").count() == 1
    assert Group.objects.get(name="Editors").user_set.count() == 2


def test_an_existing_address_is_a_clear_error(capsys):
    User.objects.create_user("taken@example.org", PASSWORD)
    assert broadsheet("users", "create", "TAKEN@example.org", "--password", PASSWORD) == 1
    assert "an account with taken@example.org already exists" in capsys.readouterr().err
    assert User.objects.count() == 1


@pytest.mark.parametrize("address", ["not-an-email", "a@", "@example.org", "a b@example.org"])
def test_a_bad_address_is_a_clear_error(capsys, address):
    assert broadsheet("users", "create", address, "--password", PASSWORD) == 2
    assert "is not an email address" in capsys.readouterr().err
    assert not User.objects.exists()


def test_a_weak_password_is_refused(capsys):
    assert broadsheet("users", "create", "weak@example.org", "--password", "123") == 2
    assert "password refused" in capsys.readouterr().err
    assert not User.objects.exists()


def test_password_is_required():
    with pytest.raises(SystemExit):
        broadsheet("users", "create", "nopass@example.org")


def test_a_member_made_here_keeps_access_past_any_trial(capsys):
    broadsheet("users", "create", "forever@example.org", "--password", PASSWORD, "--member")
    membership = Membership.objects.get(user__email="forever@example.org")
    assert membership.has_access(timezone.now() + timedelta(days=3650))


# -- the admin: accounts and memberships made by an administrator --------------------------------

def test_administrator_makes_a_reader_and_a_member_in_the_admin(client):
    admin_user = User.objects.create_superuser("admin@example.org", PASSWORD)
    client.force_login(admin_user)
    for url in ("/admin/readers/user/", "/admin/readers/user/add/",
                f"/admin/readers/user/{admin_user.pk}/change/", "/admin/readers/membership/",
                "/admin/readers/stripeevent/"):
        assert client.get(url).status_code == 200, url

    response = client.post("/admin/readers/user/add/", {
        "email": "Added@Example.org", "usable_password": "true",
        "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    added = User.objects.get(email__iexact="added@example.org")
    assert added.check_password(PASSWORD)

    Membership.objects.create(user=added, state=Membership.State.EXPIRED)
    client.post("/admin/readers/membership/", {
        "action": "make_active", "_selected_action": [added.membership.pk]})
    added.membership.refresh_from_db()
    assert added.membership.state == Membership.State.ACTIVE
    assert can_read_full(User.objects.get(pk=added.pk))
    listing = client.get("/admin/readers/user/?q=added").content.decode()
    assert "added@example.org" in listing.lower() and "Active" in listing


def test_token_prints_a_working_api_token(client, capsys):
    User.objects.create_user("ops@example.org", PASSWORD, is_staff=True)
    assert broadsheet("users", "token", "OPS@example.org", "--name", "Nightly script") == 0
    secret = capsys.readouterr().out.strip()
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert me.status_code == 200 and me.json()["email"] == "ops@example.org"
    assert User.objects.get().api_tokens.get().name == "Nightly script"


def test_token_for_an_unknown_account_fails_clearly(capsys):
    assert broadsheet("users", "token", "nobody@example.org") == 1
    assert "no account" in capsys.readouterr().err
