"""Label sheets: the labels of a school's devices on an Avery Zweckform sheet, each placed as the format's
data sheet says, each QR code decoding (zxing-cpp) to the asset's scan address; the scan address opens the
device, or for a school contact the lend or return form; bad choices are a German 422 naming the field."""

from __future__ import annotations

import re

import httpx
import zxingcpp

from schoolit.inventory.labels import FORMATS
from schoolit.inventory.tables import Device, Loan
from schoolit.settings import get_settings
from tests.integration.accounts.test_login import login
from tests.integration.inventory.support import obj, school
from tests.integration.world import World

LABEL = re.compile(r'data-testid="asset-label" data-url="([^"]+)"\s+style="left: ([\d.]+)mm; top: ([\d.]+)mm; '
                   r'width: ([\d.]+)mm; height: ([\d.]+)mm;">.*?(<svg .*?</svg>).*?class="tag">([^<]+)<', re.S)


def decode(svg: str) -> str:
    """The text of a QR code drawn by segno as SVG: its path's runs back to modules, then zxing-cpp reads it."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))  # type: ignore[union-attr]
    path = re.search(r' d="([^"]+)"', svg).group(1)  # type: ignore[union-attr]
    dark = [[False] * size for _ in range(size)]
    x = y = 0.0
    for command, first, second in re.findall(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?", path):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            for column in range(int(x), int(x + float(first))):
                dark[int(y)][column] = True
            x += float(first)
    scale = 4
    width = size * scale
    pixels = bytes(0 if dark[r // scale][c // scale] else 255 for r in range(width) for c in range(width))
    found = zxingcpp.read_barcode(zxingcpp.ImageView(pixels, width, width, zxingcpp.ImageFormat.Lum))
    assert found is not None and found.format == zxingcpp.BarcodeFormat.QRCode
    return found.text


async def _kib_devices(world: World) -> tuple[int, int, int]:
    """The stock device, the lent device and its open loan of the Kirchheimbolanden school."""
    loan = (await Loan.select(Loan.id, Loan.device_id).where(Loan.id == obj(world, "loan", "kib")).first())
    assert loan is not None
    return obj(world, "device", "kib"), loan["device_id"], loan["id"]


async def test_sheet_places_each_label_and_its_qr_code_holds_the_scan_address(client: httpx.AsyncClient,
                                                                              world: World) -> None:
    await login(client, "support@verbund.test.example")
    stock, lent, _loan = await _kib_devices(world)
    page = await client.get(f"/schools/{school(world, 'kib')}/labels", params={"format": "L4736"})
    assert page.status_code == 200, page.text
    labels = LABEL.findall(page.text)
    base = get_settings().public_url
    serials = {d["id"]: d for d in await Device.select(Device.id, Device.serial, Device.asset_tag).where(
        Device.id.is_in([stock, lent]))}
    # Sorted by serial: DMPXKIB0001 (asset tag INV-KIB-1) first, then PFKIB0002 (no asset tag: its serial).
    assert [(url, left, top, width, height, tag) for url, left, top, width, height, _svg, tag in labels] == [
        (f"{base}/scan/devices/{stock}", "9.7", "21.3", "45.7", "21.2", serials[stock]["asset_tag"]),
        (f"{base}/scan/devices/{lent}", "58.0", "21.3", "45.7", "21.2", serials[lent]["serial"]),
    ]
    assert [decode(svg) for *_, svg, _tag in labels] == [f"{base}/scan/devices/{stock}", f"{base}/scan/devices/{lent}"]
    assert page.text.count("Nordpfalzgymnasium Kirchheimbolanden</span>") == 2
    assert "2 Etiketten · 1 Bogen" in page.text and "@page { size: A4 portrait; margin: 0; }" in page.text

    # Three labels of a 3475 sheet used already: the first goes to the fourth place (second row, first column).
    skipped = LABEL.findall((await client.get(f"/schools/{school(world, 'kib')}/labels",
                                              params={"format": "3475", "skip": "3"})).text)
    assert [(left, top) for _url, left, top, *_ in skipped] == [("0.0", "40.5"), ("70.0", "40.5")]
    ap = LABEL.findall((await client.get(f"/schools/{school(world, 'kib')}/labels",
                                         params={"kind": "access-points"})).text)
    assert [decode(svg) for *_, svg, _tag in ap] == [f"{base}/scan/access-points/{obj(world, 'access_point', 'kib')}"]


def test_formats_fit_on_a4() -> None:
    assert [(f.code, f.per_sheet, f.left, f.top) for f in FORMATS.values()] == [
        ("3475", 24, 0, 4.5), ("L4736", 48, 9.7, 21.3), ("3666", 65, 4.8, 10.7)]
    for fmt in FORMATS.values():
        right = fmt.left + (fmt.columns - 1) * fmt.pitch_x + fmt.width
        bottom = fmt.top + (fmt.rows - 1) * fmt.pitch_y + fmt.height
        assert fmt.left >= 0 and right <= 210 and fmt.top >= 0 and bottom <= 297, fmt.code
        assert abs((210 - right) - fmt.left) < 0.01 and abs((297 - bottom) - fmt.top) < 0.01, fmt.code  # centred
        assert fmt.position(fmt.per_sheet) == fmt.position(0)  # the next sheet starts at the top left


async def test_bad_choices_are_a_german_422_naming_the_field(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    url = f"/schools/{school(world, 'kib')}/labels"
    bad_format = await client.get(url, params={"format": "L9999"})
    assert bad_format.status_code == 422
    assert "Etikettenformat: kein hier angebotenes Etikettenformat" in bad_format.text
    assert 'data-testid="asset-label"' not in bad_format.text
    bad_skip = await client.get(url, params={"format": "3475", "skip": "24"})
    assert bad_skip.status_code == 422
    assert "Bereits benutzte Etiketten auf dem ersten Bogen: eine ganze Zahl kleiner als die Zahl der Etiketten " \
           "eines Bogens" in bad_skip.text
    bad_kind = await client.get(url, params={"kind": "printers"})
    assert bad_kind.status_code == 422 and "Etiketten für: Endgeräte oder Access Points" in bad_kind.text


async def test_scan_address_opens_the_asset_or_the_lend_and_return_form(client: httpx.AsyncClient,
                                                                        world: World) -> None:
    stock, lent, loan = await _kib_devices(world)
    anonymous = await client.get(f"/scan/devices/{stock}")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == f"/login?next=%2Fscan%2Fdevices%2F{stock}"
    await login(client, "it@kib.test.example")  # the school contact lends and takes back
    assert (await client.get(f"/scan/devices/{stock}")).headers["location"] == f"/devices/{stock}/lend"
    assert (await client.get(f"/scan/devices/{lent}")).headers["location"] == f"/loans/{loan}/return"
    ap = obj(world, "access_point", "kib")
    assert (await client.get(f"/scan/access-points/{ap}")).headers["location"] == f"/access-points/{ap}"
    assert (await client.get(f"/scan/devices/{obj(world, 'device', 'kus')}")).status_code == 404  # other school
    assert (await client.get(f"/scan/printers/{stock}")).status_code == 404
    for email in ("support@verbund.test.example", "st@dbk.test.example"):  # supporter, authority: the device
        client.cookies.clear()
        await login(client, email)
        assert (await client.get(f"/scan/devices/{lent}")).headers["location"] == f"/devices/{lent}", email
    client.cookies.clear()
    await login(client, "support@lb.test.example")  # another county's supporter
    assert (await client.get(f"/scan/devices/{stock}")).status_code == 404
