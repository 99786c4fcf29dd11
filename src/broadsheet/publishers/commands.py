"""`broadsheet statements build --month YYYY-MM [--pool AMOUNT] [--currency GBP] [--rebuild]`,
`broadsheet statements export --month YYYY-MM [--format csv|json]`, and
`broadsheet users publisher EMAIL SLUG [--remove]` (which accounts see a publisher's page).

Exit status: 0 done; 1 nothing to do it on (a month not built, an unknown account or
publisher); 2 refused (bad input, or a built month without ``--rebuild``). Errors go to standard
error without a traceback; exports alone go to standard output.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``statements`` command to the ``broadsheet`` command's subparsers."""
    statements = subparsers.add_parser("statements",
                                       help="publishers' monthly pay-per-read statements")
    sub = statements.add_subparsers(dest="statements_command", required=True)
    build = sub.add_parser("build", help="build a month's statement from the read ledger")
    build.add_argument("--month", required=True, help="the month, YYYY-MM (UTC)")
    build.add_argument("--pool", default=None,
                       help="amount to share out, in major units (1000 is 1,000.00); default: "
                            "the month's subscription revenue times BROADSHEET_PUBLISHER_SHARE")
    build.add_argument("--currency", default=None,
                       help="ISO 4217 code (default: BROADSHEET_CURRENCY)")
    build.add_argument("--rebuild", action="store_true",
                       help="replace a statement already built (written to the audit log)")
    export = sub.add_parser("export", help="write a built statement to standard output")
    export.add_argument("--month", required=True, help="the month, YYYY-MM")
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    return statements


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``broadsheet statements ...`` (Django must be set up); returns the exit status."""
    out, err = out or sys.stdout, err or sys.stderr
    if args.statements_command == "build":
        return build(args.month, args.pool, args.currency, args.rebuild, out, err)
    if args.statements_command == "export":
        return export(args.month, args.format, out, err)
    print(f"broadsheet statements: unknown command {args.statements_command!r}", file=err)
    return 2


def build(month_text: str, pool_text: str | None, currency: str | None, rebuild: bool,
          out: TextIO, err: TextIO) -> int:
    from . import statements
    from .export import major

    try:
        month = statements.parse_month(month_text)
        pool = None if pool_text is None else statements.parse_pool(pool_text)
        if currency is not None:
            currency = statements.parse_currency(currency)
        built = statements.build(month, pool=pool, currency=currency, rebuild=rebuild)
    except statements.StatementError as error:
        print(f"broadsheet statements: {error}", file=err)
        return 2
    except statements.AlreadyBuilt as error:
        print(f"broadsheet statements: {error} (on {error.statement.built_at:%Y-%m-%d %H:%M} "
              f"UTC) and is kept as it is; give --rebuild to replace it (the rebuild is "
              "written to the audit log)", file=err)
        return 2
    statement = built.statement
    lines = statement.lines.count()
    if statement.pool_given or statement.revenue is None or statement.publisher_share is None:
        source = "given with --pool"
    else:
        source = (f"{float(statement.publisher_share) * 100:g}% of {major(statement.revenue)} "
                  f"{statement.currency} revenue")
    verb = "Rebuilt" if built.replaced is not None else "Built"
    print(f"{verb} the statement for {statement.label}: pool {major(statement.pool)} "
          f"{statement.currency} ({source}), {statement.qualified_reads} qualified reads, "
          f"{lines} publishers.", file=out)
    if not lines:
        print(f"No qualified reads in {statement.label}: the statement has no lines and the "
              "pool is not paid out.", file=out)
    if built.other_currencies:
        left_out = ", ".join(f"{n} in {code}" for code, n in sorted(
            built.other_currencies.items()))
        print(f"Note: payments in other currencies were left out of the pool ({left_out}).",
              file=err)
    if not built.month_over:
        print(f"Note: {statement.label} is not over yet; this statement counts reads so far. "
              "Build it again with --rebuild when the month has ended.", file=err)
    return 0


def export(month_text: str, fmt: str, out: TextIO, err: TextIO) -> int:
    from . import statements
    from .export import write_csv, write_json
    from .models import Statement

    try:
        month = statements.parse_month(month_text)
    except statements.StatementError as error:
        print(f"broadsheet statements: {error}", file=err)
        return 2
    statement = Statement.objects.filter(month=month).first()
    if statement is None:
        print(f"broadsheet statements: no statement for {month:%Y-%m} has been built; build "
              f"it first with `broadsheet statements build --month {month:%Y-%m}`", file=err)
        return 1
    (write_json if fmt == "json" else write_csv)(statement, out)
    return 0


def link_account(email: str, slug: str, remove: bool = False, out: TextIO | None = None,
                 err: TextIO | None = None) -> int:
    """Let ``email``'s account see publisher ``slug``'s statements and reads (or no longer)."""
    from broadsheet.readers.forms import normalise_email
    from broadsheet.readers.models import User
    from broadsheet.sources.models import Publisher

    from .models import PublisherAccount

    out, err = out or sys.stdout, err or sys.stderr
    user = User.objects.filter(email=normalise_email(email)).first()
    if user is None:
        print(f"broadsheet users publisher: no account {email!r}", file=err)
        return 1
    publisher = Publisher.objects.filter(slug=slug.strip().lower()).first()
    if publisher is None:
        print(f"broadsheet users publisher: no publisher with the slug {slug!r} (see the "
              "address of its page, /publication/SLUG/)", file=err)
        return 1
    if remove:
        deleted, _ = PublisherAccount.objects.filter(user=user, publisher=publisher).delete()
        print(f"{user.email} no longer sees {publisher.name}'s statements." if deleted else
              f"{user.email} was not linked to {publisher.name}.", file=out)
        return 0
    _, created = PublisherAccount.objects.get_or_create(user=user, publisher=publisher)
    print(f"{user.email} {'now sees' if created else 'already sees'} {publisher.name}'s "
          f"statements and reads at /publisher/.", file=out)
    return 0
