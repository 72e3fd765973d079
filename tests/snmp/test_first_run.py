"""A first run end to end, as a new installation does it: an empty PostgreSQL → `schoolit setup` →
schools imported from CSV → a user per role → `schoolit probe register` → one `schoolit-probe` run
against a real Net-SNMP agent → the authority's county dashboard shows the school with the probe's
figures. No SQL: every step goes through the commands and the HTTP API a county would use."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from schoolit.probes.simulators import RunningAgent
from tests.snmp.conftest import V3_USER
from tests.support import register_probe, run_cli, running_server, throwaway_cluster

PASSWORD = "ein-langes-passwort-2026"
ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Schulferien Rheinland-Pfalz//DE\r
BEGIN:VEVENT\r
UID:herbst-2026@schulferien.example\r
DTSTART;VALUE=DATE:20261012\r
DTEND;VALUE=DATE:20261024\r
SUMMARY:Herbstferien\r
END:VEVENT\r
END:VCALENDAR\r
"""
SCHOOLS = ("Schulnummer;Name;Schulart;Ort;Schülerzahl;Management-Netz\r\n"
           "51001;Gymnasium Kusel;gymnasium;Kusel;812;127.0.0.0/8\r\n"
           "51002;IGS Schönenberg-Kübelberg;igs;Schönenberg-Kübelberg;640;\r\n")


def login(base: str, email: str, clients: contextlib.ExitStack) -> httpx.Client:
    """A browser-like session: the login form's CSRF token, then the session cookie."""
    client = httpx.Client(base_url=base, timeout=10)
    clients.callback(client.close)
    page = client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    answer = client.post("/login", data={"email": email, "password": PASSWORD, "_csrf_token": token.group(1)})
    assert answer.status_code == 303, answer.text[:300]
    # The CSRF token is bound to the session: the one every page of the new session carries.
    session_token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/").text)
    assert session_token is not None
    client.headers["x-csrftoken"] = session_token.group(1)
    return client


def test_first_run_from_an_empty_database(snmpd: RunningAgent, tmp_path: Path) -> None:
    holidays = tmp_path / "ferien.ics"
    holidays.write_text(ICS)
    schools = tmp_path / "schulen.csv"
    schools.write_text(SCHOOLS, encoding="utf-8")
    with throwaway_cluster() as cluster:
        env = {"DATABASE_URL": str(cluster.get_uri()), "DATA_DIR": str(tmp_path / "data")}
        refused = run_cli("setup", "--yes", "--admin-email", "it@kreis-kusel.example", "--admin-name", "Petra Admin",
                          "--county-name", "Landkreis Kusel", "--county-slug", "Kusel!", "--county-ags", "7336",
                          env=env)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        assert refused.stderr.startswith("schoolit: error: ") and len(refused.stderr.splitlines()) == 1
        assert "slug: lower-case letters" in refused.stderr and "ags: five digits" in refused.stderr
        started = time.monotonic()  # the first run proper: setup to the dashboard
        setup = run_cli("setup", "--yes", "--admin-email", "it@kreis-kusel.example", "--admin-name", "Petra Admin",
                        "--admin-password-stdin", "--county-name", "Landkreis Kusel", "--county-slug", "kusel",
                        "--county-ags", "07336", "--county-seat", "Kusel", "--state", "RP", "--years", "2026",
                        "--calendar-ical", str(holidays), env=env, input_text=PASSWORD + "\n")
        assert setup.returncode == 0, setup.stderr
        assert "administrator: it@kreis-kusel.example" in setup.stdout
        assert "password (shown once)" not in setup.stdout  # it came from stdin
        # RP has 11 public holidays in 2026; the autumn holidays add 12 days.
        assert "11 public holidays (RP, 2026), 12 school holiday days" in setup.stdout
        assert "schoolit import schools" in setup.stdout and "schoolit probe register" in setup.stdout
        again = run_cli("setup", "--yes", "--admin-email", "b@kreis-kusel.example", "--admin-name", "B",
                        "--county-name", "K", "--county-slug", "k", "--county-ags", "07999", env=env)
        assert again.returncode == 3 and len(again.stderr.splitlines()) == 1
        assert "set up already" in again.stderr

        imported = run_cli("import", "schools", str(schools), env=env)
        assert imported.returncode == 0, imported.stdout + imported.stderr
        token_file = tmp_path / "probe-token"
        token_file.write_text(register_probe(env, "--name", "Sonde Kreishaus", "--county", "kusel") + "\n")

        with running_server(env) as base, contextlib.ExitStack() as clients:
            admin = login(base, "it@kreis-kusel.example", clients)
            for email, role, where in (("support@kreis-kusel.example", "supporter", {"county": "kusel"}),
                                       ("schultraeger@kreis-kusel.example", "authority", {"county": "kusel"}),
                                       ("it@gymnasium-kusel.example", "school", {"school": "51001"})):
                created = admin.post("/api/v1/users", json={"email": email, "display_name": role.title(),
                                                            "role": role, "password": PASSWORD, **where})
                assert created.status_code == 201, created.text
            # The supporter describes the school's access point: snmpd on loopback, SNMPv3 authPriv.
            supporter = login(base, "support@kreis-kusel.example", clients)
            profile = supporter.post("/api/v1/snmp-profiles", json={
                "name": "v3", "version": "3", "v3_user": V3_USER.name, "auth_protocol": V3_USER.auth_protocol,
                "auth_key": V3_USER.auth_key, "priv_protocol": V3_USER.priv_protocol, "priv_key": V3_USER.priv_key})
            assert profile.status_code == 201, profile.text
            school = supporter.get("/api/v1/schools", params={"q": "51001"}).json()["items"][0]
            access_point = supporter.post("/api/v1/access-points", json={
                "school_id": school["id"], "name": "AP Aula", "vendor": "generic", "serial": "KUS-AP-0001",
                "management_ip": "127.0.0.1", "snmp_port": snmpd.ports[0], "snmp_profile_id": profile.json()["id"],
                "funding_programme": "other",
                "status": "active"})
            assert access_point.status_code == 201, access_point.text

            run = subprocess.run([sys.executable, "-m", "schoolit.probes.agent", "run", "--server", base,
                                  "--token-file", str(token_file), "--spool", str(tmp_path / "spool"),
                                  "--timeout", "2"], capture_output=True, text=True, timeout=60, check=False)
            assert run.returncode == 0, run.stdout + run.stderr

            authority = login(base, "schultraeger@kreis-kusel.example", clients)
            deadline = time.monotonic() + 20
            figures: dict = {}
            while time.monotonic() < deadline:  # the server's worker derives the figures in the background
                dashboard = authority.get("/api/v1/dashboards/counties/kusel").json()
                figures = {s["school_number"]: s for s in dashboard["schools"]}
                if figures.get("51001", {}).get("ap_samples_30d"):
                    break
                time.sleep(0.2)
            assert figures["51001"]["ap_samples_30d"] >= 1 and figures["51001"]["ap_availability_30d"] == 1.0
            assert set(figures) == {"51001", "51002"}
            page = authority.get("/dashboards/counties/kusel")
            assert page.status_code == 200 and "Gymnasium Kusel" in page.text and "IGS Schönenberg" in page.text
            assert time.monotonic() - started < 60
            contact = login(base, "it@gymnasium-kusel.example", clients)
            assert contact.get(f"/schools/{school['id']}").status_code == 200
            other = supporter.get("/api/v1/schools", params={"q": "51002"}).json()["items"][0]
            assert contact.get(f"/schools/{other['id']}").status_code == 404
