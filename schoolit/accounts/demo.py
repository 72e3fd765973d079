"""Demo tenants: the 24 Landkreise of Rheinland-Pfalz, Landkreis Ludwigsburg (BW) and the support
arrangement of Donnersbergkreis, Landkreis Kaiserslautern and Landkreis Kusel.

Names, district keys (AGS) and seats are real; `towns` are real towns of each district, used by the
inventory demo to place synthetic schools.
"""

from __future__ import annotations

from dataclasses import dataclass

from schoolit.accounts.choices import FederalState


@dataclass(frozen=True)
class DemoCounty:
    slug: str
    name: str
    ags: str
    seat: str
    towns: tuple[str, ...]
    state: FederalState = FederalState.RP


DEMO_COUNTIES: tuple[DemoCounty, ...] = (
    DemoCounty("ahrweiler", "Landkreis Ahrweiler", "07131", "Bad Neuenahr-Ahrweiler",
               ("Bad Neuenahr-Ahrweiler", "Sinzig", "Remagen", "Adenau", "Bad Breisig")),
    DemoCounty("altenkirchen", "Landkreis Altenkirchen (Westerwald)", "07132", "Altenkirchen (Westerwald)",
               ("Altenkirchen", "Betzdorf", "Wissen", "Hamm (Sieg)", "Kirchen (Sieg)")),
    DemoCounty("bad-kreuznach", "Landkreis Bad Kreuznach", "07133", "Bad Kreuznach",
               ("Bad Kreuznach", "Kirn", "Bad Sobernheim", "Meisenheim", "Stromberg")),
    DemoCounty("birkenfeld", "Landkreis Birkenfeld", "07134", "Birkenfeld",
               ("Idar-Oberstein", "Birkenfeld", "Baumholder", "Herrstein")),
    DemoCounty("cochem-zell", "Landkreis Cochem-Zell", "07135", "Cochem",
               ("Cochem", "Zell (Mosel)", "Kaisersesch", "Ulmen")),
    DemoCounty("mayen-koblenz", "Landkreis Mayen-Koblenz", "07137", "Koblenz",
               ("Mayen", "Andernach", "Bendorf", "Vallendar", "Weißenthurm", "Polch")),
    DemoCounty("neuwied", "Landkreis Neuwied", "07138", "Neuwied",
               ("Neuwied", "Linz am Rhein", "Dierdorf", "Asbach", "Unkel")),
    DemoCounty("rhein-hunsrueck", "Rhein-Hunsrück-Kreis", "07140", "Simmern/Hunsrück",
               ("Simmern/Hunsrück", "Boppard", "Kastellaun", "Emmelshausen", "Kirchberg (Hunsrück)")),
    DemoCounty("rhein-lahn", "Rhein-Lahn-Kreis", "07141", "Bad Ems",
               ("Bad Ems", "Lahnstein", "Diez", "Nastätten", "Katzenelnbogen")),
    DemoCounty("westerwald", "Westerwaldkreis", "07143", "Montabaur",
               ("Montabaur", "Westerburg", "Hachenburg", "Höhr-Grenzhausen", "Ransbach-Baumbach", "Selters")),
    DemoCounty("bernkastel-wittlich", "Landkreis Bernkastel-Wittlich", "07231", "Wittlich",
               ("Wittlich", "Bernkastel-Kues", "Traben-Trarbach", "Morbach", "Thalfang")),
    DemoCounty("bitburg-pruem", "Eifelkreis Bitburg-Prüm", "07232", "Bitburg",
               ("Bitburg", "Prüm", "Neuerburg", "Speicher", "Irrel")),
    DemoCounty("vulkaneifel", "Landkreis Vulkaneifel", "07233", "Daun",
               ("Daun", "Gerolstein", "Hillesheim", "Jünkerath")),
    DemoCounty("trier-saarburg", "Landkreis Trier-Saarburg", "07235", "Trier",
               ("Saarburg", "Hermeskeil", "Konz", "Schweich")),
    DemoCounty("alzey-worms", "Landkreis Alzey-Worms", "07331", "Alzey",
               ("Alzey", "Wörrstadt", "Osthofen", "Eich", "Flonheim")),
    DemoCounty("bad-duerkheim", "Landkreis Bad Dürkheim", "07332", "Bad Dürkheim",
               ("Bad Dürkheim", "Grünstadt", "Haßloch", "Deidesheim", "Freinsheim")),
    DemoCounty("donnersbergkreis", "Donnersbergkreis", "07333", "Kirchheimbolanden",
               ("Kirchheimbolanden", "Rockenhausen", "Eisenberg (Pfalz)", "Winnweiler", "Göllheim",
                "Weierhof")),
    DemoCounty("germersheim", "Landkreis Germersheim", "07334", "Germersheim",
               ("Germersheim", "Wörth am Rhein", "Kandel", "Bellheim", "Rülzheim")),
    DemoCounty("kaiserslautern", "Landkreis Kaiserslautern", "07335", "Kaiserslautern",
               ("Landstuhl", "Ramstein-Miesenbach", "Otterbach", "Enkenbach-Alsenborn", "Weilerbach")),
    DemoCounty("kusel", "Landkreis Kusel", "07336", "Kusel",
               ("Kusel", "Lauterecken", "Wolfstein", "Schönenberg-Kübelberg", "Waldmohr")),
    DemoCounty("suedliche-weinstrasse", "Landkreis Südliche Weinstraße", "07337", "Landau in der Pfalz",
               ("Bad Bergzabern", "Annweiler am Trifels", "Edenkoben", "Herxheim bei Landau/Pfalz",
                "Offenbach an der Queich")),
    DemoCounty("rhein-pfalz", "Rhein-Pfalz-Kreis", "07338", "Ludwigshafen am Rhein",
               ("Schifferstadt", "Limburgerhof", "Mutterstadt", "Bobenheim-Roxheim", "Dudenhofen")),
    DemoCounty("mainz-bingen", "Landkreis Mainz-Bingen", "07339", "Ingelheim am Rhein",
               ("Ingelheim am Rhein", "Bingen am Rhein", "Nieder-Olm", "Oppenheim", "Budenheim")),
    DemoCounty("suedwestpfalz", "Landkreis Südwestpfalz", "07340", "Pirmasens",
               ("Dahn", "Hauenstein", "Rodalben", "Thaleischweiler-Fröschen", "Waldfischbach-Burgalben")),
    DemoCounty("ludwigsburg", "Landkreis Ludwigsburg", "08118", "Ludwigsburg",
               ("Ludwigsburg", "Bietigheim-Bissingen", "Kornwestheim", "Marbach am Neckar",
                "Vaihingen an der Enz"), FederalState.BW),
)

DEMO_ARRANGEMENT_SLUG = "verbund-donnersberg-kl-kus"
DEMO_ARRANGEMENT_NAME = "Schul-IT-Verbund Donnersberg–Kaiserslautern–Kusel"
DEMO_ARRANGEMENT_MEMBERS = ("donnersbergkreis", "kaiserslautern", "kusel")
DEMO_ARRANGEMENT_LEAD = "donnersbergkreis"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    display_name: str
    county_slug: str | None = None
    arrangement_slug: str | None = None
    school_number: str | None = None
    note: str = ""


# One login per role, including a supporter of the shared arrangement and an authority outside it.
DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin", "admin@demo.schoolit.example", "Demo-Admin", note="everything"),
    DemoLogin("supporter", "support@verbund.demo.schoolit.example", "Verbund-Support",
              arrangement_slug=DEMO_ARRANGEMENT_SLUG, note=DEMO_ARRANGEMENT_NAME),
    DemoLogin("supporter", "support@ludwigsburg.demo.schoolit.example", "Support Ludwigsburg",
              county_slug="ludwigsburg", note="Landkreis Ludwigsburg"),
    DemoLogin("authority", "schultraeger@donnersbergkreis.demo.schoolit.example", "Schulträger Donnersbergkreis",
              county_slug="donnersbergkreis", note="Donnersbergkreis"),
    DemoLogin("authority", "schultraeger@ludwigsburg.demo.schoolit.example", "Schulträger Ludwigsburg",
              county_slug="ludwigsburg", note="Landkreis Ludwigsburg"),
    DemoLogin("school", "it@schule-51600.demo.schoolit.example", "IT-Beauftragte Schule 51600",
              school_number="51600", note="first demo school of Donnersbergkreis"),
)


def demo_password(secret_key: str, email: str) -> str:
    """A per-installation demo password: derived from this installation's secret key, never a
    well-known default (so a demo seeded by mistake elsewhere has no guessable logins)."""
    import base64
    import hashlib
    import hmac

    raw = hmac.new(secret_key.encode(), f"demo-login:{email}".encode(), hashlib.sha256).digest()
    return "demo-" + base64.b32encode(raw).decode()[:16].lower()
