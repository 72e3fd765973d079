"""The retention job on fixed dates: pupil references go one year after the end of the school year in
which the loan ended; open loans keep theirs; running it again changes nothing; the audit log says so."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pgserver
import pytest

from schoolit.accounts.choices import Role
from schoolit.accounts.scope import Actor, Scope
from schoolit.accounts.tables import AuditEvent
from schoolit.errors import Forbidden, ValidationFailed
from schoolit.inventory import services
from schoolit.inventory.tables import Loan
from tests.integration.inventory.support import school
from tests.integration.inventory.world import SYSTEM
from tests.integration.world import World
from tests.support import run_cli


async def _ended_loan(world: World, serial: str, ref: str, lent_on: dt.date, returned_on: dt.date) -> int:
    device = await services.create_device(SYSTEM, {"school_id": school(world, "kib"), "kind": "laptop",
                                                   "serial": serial, "status": "stock",
                                                   "funding_programme": "county_budget"})
    loan = await services.lend_device(SYSTEM, {"device_id": device["id"], "pupil_ref": ref, "lent_on": lent_on,
                                               "due_on": dt.date(2026, 7, 31)})
    await services.return_loan(SYSTEM, loan["id"], {"returned_on": returned_on})
    return int(loan["id"])


async def test_retention_on_fixed_dates(world: World) -> None:
    july = await _ended_loan(world, "RET0001", "10a-01", dt.date(2025, 9, 1), dt.date(2026, 7, 10))
    august = await _ended_loan(world, "RET0002", "10a-02", dt.date(2025, 9, 1), dt.date(2026, 8, 3))
    open_loan = world.by_school["loan"]["kib"]

    early = await services.erase_pupil_references(SYSTEM, dt.date(2027, 7, 30))
    assert early.erased == 0 and early.cutoff == dt.date(2025, 7, 31)

    due = await services.erase_pupil_references(SYSTEM, dt.date(2027, 7, 31))
    assert (due.erased, due.cutoff) == (1, dt.date(2026, 7, 31))
    assert due.by_county == {world.counties["donnersbergkreis"]: 1}
    rows = {r["id"]: r for r in await Loan.select(Loan.id, Loan.pupil_ref, Loan.pupil_ref_erased_at)}
    assert rows[july]["pupil_ref"] is None and rows[july]["pupil_ref_erased_at"] is not None
    assert rows[august]["pupil_ref"] == "10a-02"  # ended in school year 2026/27: erased a year later
    assert rows[open_loan]["pupil_ref"] is not None  # open loans keep their reference

    again = await services.erase_pupil_references(SYSTEM, dt.date(2027, 7, 31))
    assert again.erased == 0  # idempotent

    later = await services.erase_pupil_references(SYSTEM, dt.date(2028, 7, 31))
    assert later.erased == 1
    audit = await AuditEvent.select(AuditEvent.actor_label, AuditEvent.after).where(
        AuditEvent.action == "loan.retention").order_by(AuditEvent.id).output(load_json=True)
    assert [(a["actor_label"], a["after"]["erased"], a["after"]["loan_ids"]) for a in audit] == [
        ("test world", 1, [july]), ("test world", 1, [august])]
    everything = await AuditEvent.select(AuditEvent.before, AuditEvent.after)
    assert not any("10a-0" in str(a["before"]) + str(a["after"]) for a in everything)


async def test_an_erased_reference_stays_erased(world: World) -> None:
    loan_id = await _ended_loan(world, "RET0003", "10a-03", dt.date(2024, 9, 1), dt.date(2025, 7, 1))
    await services.erase_pupil_references(SYSTEM, dt.date(2026, 8, 1))
    loan = await services.get_loan(SYSTEM, loan_id)
    assert loan["pupil_ref"] is None and loan["pupil_ref_erased_at"] is not None
    with pytest.raises(ValidationFailed):
        await services.update_loan(SYSTEM, loan_id, {"pupil_ref": "10a-03"})


async def test_only_the_system_runs_retention(world: World) -> None:
    supporter = Scope(role=Role.SUPPORTER, actor=Actor(SYSTEM.actor.kind, label="x"),
                      county_ids=frozenset({world.counties["kusel"]}))
    with pytest.raises(Forbidden):
        await services.erase_pupil_references(supporter)


def test_retention_command_end_to_end(tmp_path: Path) -> None:
    """Against a fresh database with the demo data, which has loans returned two summers ago."""
    server = pgserver.get_server(tmp_path / "pg", cleanup_mode="delete")
    env = {"DATABASE_URL": str(server.get_uri()), "DATA_DIR": str(tmp_path / "data")}
    try:
        assert run_cli("migrate", env=env).returncode == 0
        seeded = run_cli("seed", "--demo", env=env, timeout=120)
        assert seeded.returncode == 0, seeded.stderr
        assert "demo inventory:" in seeded.stdout and "access points" in seeded.stdout
        first = run_cli("maintenance", "retention", env=env)
        assert first.returncode == 0, first.stderr
        erased = int(first.stdout.split("pupil references erased: ")[1].split()[0])
        assert erased > 0
        again = run_cli("maintenance", "retention", env=env)
        assert again.stdout.startswith("pupil references erased: 0 ")
        bad = run_cli("maintenance", "retention", "--today", "31.07.2027", env=env)
        assert bad.returncode == 2 and "a date like" in bad.stderr
    finally:
        server.cleanup()
