"""`broadsheet users create EMAIL --password P [--member] [--editor]`: accounts from the shell;
`broadsheet users token EMAIL [--name NAME]`: a new API token, for scripts and operators;
`broadsheet users publisher EMAIL SLUG [--remove]`: the account sees that publisher's statements.

With BROADSHEET_BILLING=none this is how members are made (besides the admin); without
``--member`` the account starts the usual free trial, as a sign-up does. ``--editor`` makes
a staff account in the "Editors" group, which manages sources, publishers, sections, picks and
articles in the admin.
"""

from __future__ import annotations

import argparse
import sys

EDITORS_GROUP = "Editors"
# Apps whose models editors manage in the admin: publishers and sources, sections and picks,
# articles.
EDITOR_APPS = ("sources", "curation", "articles", "stories")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``users`` command to the ``broadsheet`` command's subparsers."""
    users = subparsers.add_parser("users", help="reader, member and editor accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    create = users_sub.add_parser("create", help="create an account")
    create.add_argument("email")
    create.add_argument("--password", required=True,
                        help="its password (checked like a reader's own)")
    create.add_argument("--member", action="store_true",
                        help="an active membership without billing (otherwise the usual "
                             "free trial, as at sign-up)")
    create.add_argument("--editor", action="store_true",
                        help="staff in the Editors group: manages sources, publishers, sections "
                             "and articles in the admin")
    token = users_sub.add_parser("token", help="print a new JSON API token for an account")
    token.add_argument("email")
    token.add_argument("--name", default="Command line",
                       help="what the token is for (shown in the account's token list)")
    publisher = users_sub.add_parser(
        "publisher", help="let an account see a publisher's statements and reads (/publisher/)")
    publisher.add_argument("email")
    publisher.add_argument("slug", help="the publisher's slug, as in /publication/SLUG/")
    publisher.add_argument("--remove", action="store_true", help="no longer let it see them")
    return users


def run(args: argparse.Namespace) -> int:
    """Run ``broadsheet users ...`` (Django must be set up); returns the exit status."""
    if args.users_command == "create":
        return create_user(args.email, args.password, member=args.member, editor=args.editor)
    if args.users_command == "token":
        return new_token(args.email, args.name)
    if args.users_command == "publisher":
        from broadsheet.publishers.commands import link_account

        return link_account(args.email, args.slug, remove=args.remove)
    print(f"broadsheet users: unknown command {args.users_command!r}", file=sys.stderr)
    return 2


def create_user(email: str, password: str, *, member: bool = False, editor: bool = False,
                out=None, err=None) -> int:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email
    from django.db import transaction

    from . import membership
    from .forms import normalise_email, validate_password
    from .models import User

    out = out or sys.stdout
    err = err or sys.stderr
    address = normalise_email(email)
    try:
        validate_email(address)
    except ValidationError:
        print(f"broadsheet users: {email!r} is not an email address", file=err)
        return 2
    if User.objects.filter(email__iexact=address).exists():
        print(f"broadsheet users: an account with {address} already exists", file=err)
        return 1
    try:
        validate_password(password, User(email=address))
    except ValidationError as error:
        print(f"broadsheet users: password refused: {' '.join(error.messages)}", file=err)
        return 2
    with transaction.atomic():
        user = User.objects.create_user(address, password)
        if member:
            membership.grant(user)
        else:
            membership.start_trial(user)  # what signing up gives
        if editor:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(editors_group())
    roles = [word for word, on in (("member", member), ("free trial", not member),
                                   ("editor", editor)) if on]
    print(f"Created {address}" + (f" ({', '.join(roles)})" if roles else ""), file=out)
    return 0


def editors_group():
    """The "Editors" group with every permission on the models editors manage (made once)."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    permissions = Permission.objects.filter(content_type__app_label__in=EDITOR_APPS)
    group.permissions.add(*permissions)
    return group


def new_token(email: str, name: str = "Command line", out=None, err=None) -> int:
    """Print a new API token for ``email``'s account: the only time the secret is shown."""
    from broadsheet.api.auth import issue_token

    from .forms import normalise_email
    from .models import User

    out = out or sys.stdout
    err = err or sys.stderr
    user = User.objects.filter(email=normalise_email(email)).first()
    if user is None:
        print(f"broadsheet users token: no account {email!r}", file=err)
        return 1
    if not user.is_active:
        print(f"broadsheet users token: the account {user.email} is closed", file=err)
        return 1
    issued = issue_token(user, name=name)
    print(issued.secret, file=out)
    return 0
