"""``caseapp report``: the programme's report for a period and a unit, and its
verification from the audit log."""
from __future__ import annotations

import os
import zipfile

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from caseapp.extensions import db

from .common import fail


@click.command("report", help="The programme's report (indicators and breakdowns, small "
                              "counts as <5) for a period and a unit's subtree, or --verify "
                              "a report file against this instance's audit log.")
@click.option("--period", default=None,
              help="2026-H1, 2026, 2026-01..2026-06 or 2026-01-15..2026-02-10 "
                   "(default: the current half-year).")
@click.option("--unit", "unit_code", default=None, help="Unit code (default: the top unit).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "html"]), default="xlsx",
              show_default=True)
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="File to write (refuses to overwrite).")
@click.option("--no-suppress", is_flag=True,
              help="Exact small counts (for the unit's own use, never to publish).")
@click.option("--verify", "verify_path", type=click.Path(exists=True, dir_okay=False),
              default=None, help="Check a report file: recompute every number from the log.")
@with_appcontext
def report(period, unit_code, fmt, out_path, no_suppress, verify_path):
    from caseapp.reports import export, service
    from caseapp.reports.period import PeriodError, parse
    from caseapp.units.models import Unit

    if verify_path:
        with open(verify_path, "rb") as fh:
            raw = fh.read()
        try:
            data = export.read_data(raw)
            verdict = service.verify_file(raw)
        except (export.NotAReport, zipfile.BadZipFile, KeyError, ValueError, OSError):
            fail("this file holds no caseapp report data this version can read")
        for problem in verdict.problems:
            click.echo(f"mismatch: {problem}")
        if not verdict.ok:
            fail(f"the report does not match this instance's audit log "
                 f"({len(verdict.problems)} problem(s))")
        click.echo(f"ok: {verdict.checked} number(s) recomputed from the audit log up to "
                   f"checkpoint {data['checkpoint']['seq']} (signed {data['checkpoint']['at']}) "
                   f"all match; report of {data['unit']}, {data['period']}, as of "
                   f"{data['as_of']}")
        return
    if not out_path:
        fail("give --out FILE (or --verify FILE)")
    if os.path.exists(out_path):
        fail(f"{out_path} exists: choose another name")
    try:
        chosen = parse(period)
    except PeriodError as error:
        fail(str(error.message))
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code.upper())) if unit_code \
        else db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    if unit is None:
        fail("no such unit")
    try:
        made = service.make("system", unit, chosen, fmt=fmt, suppress=not no_suppress)
    except PeriodError as error:
        fail(str(error.message))
    body = export.render(made, fmt)
    fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(body)
    click.echo(f"wrote {out_path}: {unit.code}, {chosen.code}, checkpoint "
               f"{made.checkpoint['seq']}")
