"""CSV import benchmark: 100,000 pupil devices through the real import path, next to a PostgreSQL COPY
of the same rows into the same table, measured in the same run.

1. A throw-away database: a new database on DATABASE_URL's server (dropped at the end), or an
   embedded PostgreSQL (pgserver) in a temporary directory. Migrations, one county, a few schools.
2. A German Excel-style CSV (BOM, `;`, decimal commas, dates as 31.07.2026) of N devices with 15
   realistic columns, written to a file.
3. Import: `schoolit.inventory.importing.import_csv` as the API and the CLI call it (file read,
   decode, parse and check every row, staging COPY, UPDATE + INSERT with per-object audit rows, one
   summary event). Timed from reading the file to the committed transaction; peak RSS of this process
   (the database server is another process). Then the same file again: N rows matched, none changed.
4. Reference: the table emptied, then asyncpg `copy_records_to_table` of the same rows (already
   parsed, ids resolved) into `device`, in one transaction.

Run: `.venv/bin/python bench/import.py [--rows 100000] [--schools 8] [--rounds 3]`; figures are medians
over the rounds (the machine is shared). Results go to docs/performance.md ("CSV import").
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import os
import platform
import random
import resource
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from support import schoolit_environment

HEADER = ["Schulnummer", "Geräteart", "Hersteller", "Modell", "Seriennummer", "Inventarnummer", "MDM-ID",
          "MDM registriert", "Förderprogramm", "Kaufdatum", "Preis (EUR)", "Garantie bis", "Status", "Zubehör",
          "Bemerkungen"]
MODELS = [("Tablet", "Apple", "iPad 9. Generation", 339_00), ("Tablet", "Apple", "iPad 10. Generation", 449_00),
          ("Tablet", "Samsung", "Galaxy Tab A8", 229_00), ("Notebook", "Lenovo", "ThinkPad L13 Gen 4", 899_00),
          ("Convertible", "Dell", "Latitude 3140 2-in-1", 679_00), ("Notebook", "HP", "ProBook 440 G10", 749_00)]
PROGRAMMES = ["DigitalPakt Sofortausstattung", "DigitalPakt Leihgeräte Lehrkräfte", "DigitalPakt 2.0",
              "Kreishaushalt"]
ACCESSORIES = ["Hülle, Stift, Ladegerät", "Hülle, Ladegerät", "Tastatur-Hülle, Stift", "Netzteil, Tasche", ""]
NOTES = ["", "", "", "", "Displayschutzfolie", "Akku getauscht", "Rückgabe in Göllheim", "Kratzer am Gehäuse"]
SCHOOLS = [("donnersbergkreis", f"4{1100 + i}", name, kind, town) for i, (name, kind, town) in enumerate([
    ("Nordpfalzgymnasium Kirchheimbolanden", "gymnasium", "Kirchheimbolanden"),
    ("IGS Rockenhausen", "igs", "Rockenhausen"), ("Gymnasium Weierhof", "gymnasium", "Bolanden-Weierhof"),
    ("Realschule plus Göllheim", "realschule_plus", "Göllheim"), ("BBS Donnersbergkreis", "bbs", "Rockenhausen"),
    ("Realschule plus Eisenberg", "realschule_plus", "Eisenberg"), ("IGS Eisenberg", "igs", "Eisenberg"),
    ("Förderschule Rüssingen", "foerderschule", "Rüssingen"), ("Gymnasium Winnweiler", "gymnasium", "Winnweiler"),
    ("Realschule plus Kirchheimbolanden", "realschule_plus", "Kirchheimbolanden"),
])]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def write_csv(path: Path, rows: int, schools: list[str]) -> None:
    """N devices, as a German Excel would save them (streamed: the generator holds no rows)."""
    rng = random.Random(20_260_722)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        for i in range(rows):
            kind, vendor, model, price = rng.choice(MODELS)
            bought = dt.date(2020, 8, 1) + dt.timedelta(days=rng.randrange(0, 5 * 365))
            school = schools[i % len(schools)]
            writer.writerow([
                school, kind, vendor, model, f"{vendor[:2].upper()}{rng.getrandbits(40):010X}{i:06d}",
                f"DBK-{school}-{i:06d}", f"mdm-{uuid.UUID(int=rng.getrandbits(128))}" if rng.random() < 0.8 else "",
                "ja" if rng.random() < 0.8 else "nein", rng.choice(PROGRAMMES), bought.strftime("%d.%m.%Y"),
                f"{price // 100:,}".replace(",", ".") + f",{price % 100:02d}",
                (bought + dt.timedelta(days=3 * 365)).strftime("%d.%m.%Y"),
                rng.choice(["Lager", "Lager", "Lager", "Reparatur", "ausgemustert"]), rng.choice(ACCESSORIES),
                rng.choice(NOTES)])


@dataclass
class Round:
    import_s: float
    read_s: float
    check_s: float
    write_s: float
    again_s: float
    copy_s: float


async def run(rows: int, school_count: int, rounds: int) -> None:
    async with schoolit_environment() as (_, work):
        await measure(work / "geraete.csv", rows, school_count, rounds)


async def measure(path: Path, rows: int, school_count: int, rounds: int) -> None:
    from schoolit import db, sql
    from schoolit.accounts.scope import Scope
    from schoolit.accounts.tenants import upsert_county
    from schoolit.describe import csvformat
    from schoolit.inventory.importing import import_csv
    from schoolit.inventory.resources.device import DEVICE
    from schoolit.inventory.services import upsert_school
    from schoolit.migrations import apply_migrations
    from schoolit.settings import get_settings

    get_settings.cache_clear()
    async with db.connected(get_settings()):
        await apply_migrations()
        county = await upsert_county(slug="donnersbergkreis", name="Donnersbergkreis", ags="07333",
                                     seat="Kirchheimbolanden", state="RP")
        numbers = []
        for _county, number, name, kind, town in SCHOOLS[:school_count]:
            await upsert_school(county_id=county, school_number=number, name=name, school_type=kind, city=town,
                                pupils=800)
            numbers.append(number)
        await asyncio.to_thread(write_csv, path, rows, numbers)
        size = len(await asyncio.to_thread(path.read_bytes))
        version = (await sql.fetch("SHOW server_version"))[0]["server_version"]
        print(f"{platform.node()}: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
              f"Python {platform.python_version()}, PostgreSQL {version}")
        print(f"file: {rows:,} devices, {len(numbers)} schools, {size / 2**20:.1f} MiB")
        rss_before = peak_rss_mib()
        scope = Scope.system("bench")
        results: list[Round] = []
        peak = 0.0
        records: list[tuple[object, ...]] = []
        columns: list[str] = []
        for number in range(rounds):
            phases: dict[str, float] = {}

            def progress(phase: str, done: int, total: int, phases: dict[str, float] = phases) -> None:
                if done == 0 or done >= total:
                    phases[f"{phase}:{'end' if done else 'start'}"] = time.perf_counter()

            await sql.execute("TRUNCATE device CASCADE")
            began = time.perf_counter()
            data = await asyncio.to_thread(path.read_bytes)  # as the command does: the file is part of the work
            report = await import_csv(scope, "devices", data, dry_run=False, progress=progress)
            import_s = time.perf_counter() - began
            assert report.ok and report.created == rows, report.errors[:5]
            if number == 0:
                peak = peak_rss_mib()  # before anything else of this script holds the rows
            started = time.perf_counter()
            again = await import_csv(scope, "devices", await asyncio.to_thread(path.read_bytes), dry_run=False)
            again_s = time.perf_counter() - started
            assert again.ok and (again.created, again.updated, again.changed) == (0, rows, 0)
            if not records:
                # The reference's input: the same rows, parsed and with school ids, prepared untimed.
                parsed = csvformat.read(data, DEVICE.csv_kind)
                ids = {r["school_number"]: r["id"] for r in await sql.fetch("SELECT id, school_number FROM school")}
                columns = ["county_id", "school_id", *(c.field for c in parsed.columns if c.field != "school_number")]
                records = [(county, ids[values[0]], *values[1:]) for _row, values in parsed.rows]
            async with db.DB.pool.acquire() as conn:  # type: ignore[union-attr]
                await conn.execute("TRUNCATE device CASCADE")
                started = time.perf_counter()
                async with conn.transaction():
                    await conn.copy_records_to_table("device", records=records, columns=columns)
                copy_s = time.perf_counter() - started
                assert await conn.fetchval("SELECT count(*) FROM device") == rows
            results.append(Round(import_s=import_s, read_s=phases["read:end"] - began,
                                 check_s=phases["write:start"] - phases["read:end"],
                                 write_s=phases["write:end"] - phases["write:start"], again_s=again_s, copy_s=copy_s))
    print_results(rows, results, peak, rss_before)


def print_results(rows: int, results: list[Round], peak: float, rss_before: float) -> None:
    """Each figure as the median over the rounds (best in brackets); ratios within each round."""

    def median(values: list[float]) -> float:
        return statistics.median(values)

    def line(label: str, seconds: list[float], ratio: list[float] | None) -> str:
        text = f"{label:<34} {median(seconds):6.2f} s  {rows / median(seconds):8,.0f} rows/s  " \
               f"(best {rows / min(seconds):,.0f})"
        return text + (f"  {median(ratio):4.2f}x COPY" if ratio else "")

    copy = [r.copy_s for r in results]
    print(f"\n{len(results)} rounds, medians:")
    print(line("import, all rows new", [r.import_s for r in results], [r.import_s / r.copy_s for r in results]))
    print(f"  {'read, decode, parse cells':<32} {median([r.read_s for r in results]):6.2f} s")
    print(f"  {'lookups, row rules':<32} {median([r.check_s for r in results]):6.2f} s")
    print(f"  {'staging COPY, UPDATE, INSERT':<32} {median([r.write_s for r in results]):6.2f} s")
    print(line("import again, all rows matched", [r.again_s for r in results], [r.again_s / r.copy_s for r in results]))
    print(line("PostgreSQL COPY (reference)", copy, None))
    print(f"peak RSS {peak:.0f} MiB (before the import: {rss_before:.0f} MiB)")
    rate = rows / median([r.import_s for r in results])
    print(f"targets: >= 20,000 rows/s {'met' if rate >= 20_000 else 'MISSED'}; "
          f"< 500 MiB {'met' if peak < 500 else 'MISSED'}")




def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--schools", type=int, default=8, choices=range(1, len(SCHOOLS) + 1), metavar="N")
    parser.add_argument("--rounds", type=int, default=3, help="repeat the measurements (the machine is shared)")
    args = parser.parse_args()
    asyncio.run(run(args.rows, args.schools, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
