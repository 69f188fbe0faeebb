from __future__ import annotations

import click
from flask.cli import with_appcontext

from caseapp.admin import service as admin_service
from caseapp.units import service
from caseapp.units.models import SCHOOL_TYPES

from .common import commit_or_fail


@click.group(help="Manage the unit tree.")
def units():
    pass


@units.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--parent", "parent_code", help="Code of the parent unit.")
@click.option("--school", "school_type", type=click.Choice(SCHOOL_TYPES), help="School type.")
@with_appcontext
def create(code, name, parent_code, school_type):
    unit = commit_or_fail(lambda: admin_service.create_unit("system", code, name, parent_code,
                                                            school_type))
    click.echo(f"created unit {unit.code}")


@units.command("list")
@with_appcontext
def list_units():
    for unit in service.tree():
        parent = unit.parent.code if unit.parent else "-"
        click.echo(f"{'  ' * unit.depth}{unit.code}\t{unit.name}\tparent={parent}"
                   f"\tschool={unit.school_type or '-'}")


@units.command("school", help="Mark a unit as a school of a type (or 'none': not a school).")
@click.argument("code")
@click.argument("school_type", type=click.Choice((*SCHOOL_TYPES, "none")))
@with_appcontext
def school(code, school_type):
    from .common import fail

    unit = service.by_code(code.strip().upper())
    if unit is None:
        fail(f"no unit {code}")
    commit_or_fail(lambda: admin_service.set_school_type(
        "system", unit, None if school_type == "none" else school_type))
    click.echo(f"{unit.code}: school type {school_type}")
