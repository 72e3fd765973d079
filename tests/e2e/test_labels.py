"""In Chromium, as each role that sees them (admin, supporter, authority, school contact), at 1366 and 390 px:
the warranty and replacement page, and
a school's label sheet, reached from the school page's device section. The QR code as Chromium draws it
decodes (zxing-cpp) to the label's scan address; printed, the first label sits where the format puts it;
the scan address takes the school contact to the lend form and the others to the device. No page scrolls
sideways (the sheet scrolls in its own box) and axe-core finds no serious or critical violation.
Screenshots: tests/e2e/artifacts/labels-*.png."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest
import zxingcpp
from playwright.sync_api import Page, expect

from schoolit.inventory.labels import FORMATS
from tests.e2e.support import (
    ARTIFACTS,
    WIDE,
    assert_accessible,
    chromium,
    horizontal_overflow,
    page_as,
    shot,
)

PX_PER_MM = 96 / 25.4
# The QR code of the first label drawn by Chromium at 8 px a module, as grey values (one byte a pixel).
DRAW_QR = """async () => {
  const svg = document.querySelector('[data-testid=asset-label] svg');
  const size = svg.viewBox.baseVal.width * 8;
  const copy = svg.cloneNode(true);
  copy.setAttribute('width', size); copy.setAttribute('height', size);
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  const image = new Image();
  image.src = 'data:image/svg+xml;base64,' + btoa(new XMLSerializer().serializeToString(copy));
  await image.decode();
  // White around it, as the label's own margin is around it on paper.
  const whole = size + 64;
  const canvas = document.createElement('canvas'); canvas.width = whole; canvas.height = whole;
  const context = canvas.getContext('2d');
  context.fillStyle = '#fff'; context.fillRect(0, 0, whole, whole); context.drawImage(image, 32, 32);
  const rgba = context.getImageData(0, 0, whole, whole).data;
  let grey = '';
  for (let i = 0; i < rgba.length; i += 4) grey += String.fromCharCode(rgba[i]);
  return [whole, btoa(grey)];
}"""


def _drawn_qr(page: Page) -> str:
    size, grey = page.evaluate(DRAW_QR)
    # The pixels stay referenced while zxing reads them: an ImageView does not keep its buffer alive, and
    # a temporary freed before the read made the decode fail now and then.
    pixels = base64.b64decode(grey)
    image = zxingcpp.ImageView(pixels, size, size, zxingcpp.ImageFormat.Lum)
    found = zxingcpp.read_barcode(image, binarizer=zxingcpp.Binarizer.FixedThreshold)
    if found is None:  # keep what Chromium drew, to look at
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "labels-qr-undecoded.pgm").write_bytes(f"P5 {size} {size} 255\n".encode() + pixels)
        (ARTIFACTS / "labels-qr-undecoded.svg").write_text(page.evaluate(
            "() => document.querySelector('[data-testid=asset-label] svg').outerHTML"))
    assert found is not None
    return found.text


@pytest.mark.parametrize("role", ["admin", "supporter", "authority", "school"])
def test_label_sheet_per_role_and_width(server: str, role: str) -> None:
    with chromium() as browser:
        page = page_as(browser, server, role, WIDE)
        page.goto("/schools?q=51600")
        page.locator("main table a[href^='/schools/']").first.click()
        school_url = urlsplit(page.url).path
        page.goto(school_url + "?section=devices#devices")
        page.get_by_test_id("labels-link").click()
        expect(page.get_by_role("heading", name="Etiketten")).to_be_visible()
        page.select_option("select[name=format]", "L4736")
        page.get_by_role("button", name="Anzeigen").click()
        page.wait_for_url("**format=L4736**")
        page.wait_for_load_state("networkidle")
        labels = page.get_by_test_id("asset-label")
        expect(labels.first).to_be_visible()
        count = labels.count()
        assert count > 0
        expect(page.get_by_test_id("label-count")).to_contain_text(f"{count} Etikett")
        scan_url = labels.first.get_attribute("data-url")
        assert scan_url is not None and _drawn_qr(page) == scan_url
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
            assert horizontal_overflow(page) == 0, f"labels scroll sideways at {width} px as {role}"
            assert_accessible(page, f"labels as {role} at {width} px")
            shot(page, f"labels-{role}-{width}")
        page.emulate_media(media="print")  # on paper: the first label where the data sheet puts it
        fmt = FORMATS["L4736"]
        sheet = page.locator(".sheet").first.bounding_box()
        first = labels.first.bounding_box()
        assert sheet is not None and first is not None
        assert abs((first["x"] - sheet["x"]) / PX_PER_MM - fmt.left) < 0.3
        assert abs((first["y"] - sheet["y"]) / PX_PER_MM - fmt.top) < 0.3
        assert abs(first["width"] / PX_PER_MM - fmt.width) < 0.3
        page.emulate_media(media="screen")
        page.goto(urlsplit(scan_url).path)  # what a phone opens after scanning the first label
        if role == "school":
            expect(page.get_by_role("heading", name="Gerät ausleihen").or_(
                page.get_by_role("heading", name="Gerät zurücknehmen"))).to_be_visible()
        else:
            assert urlsplit(page.url).path.startswith("/devices/")


@pytest.mark.parametrize("role", ["admin", "supporter", "authority", "school"])
def test_warranty_page_per_role_and_width(server: str, role: str) -> None:
    """The warranty and replacement page, from the navigation (a school contact by its address): a bad number
    of days is named by its label."""
    with chromium() as browser:
        page = page_as(browser, server, role, WIDE)
        if role == "school":  # not a school contact's work, so not in their menu; still theirs to open
            page.goto("/warranty")
        else:
            page.get_by_role("link", name="Garantie", exact=True).first.click()
        expect(page.get_by_role("heading", name="Garantie und Ersatz")).to_be_visible()
        page.fill("input[name=days]", "365")
        page.get_by_role("button", name="Anzeigen").click()
        expect(page.get_by_test_id("warranty-plan")).to_be_visible()
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
            assert horizontal_overflow(page) == 0, f"warranty scrolls sideways at {width} px as {role}"
            assert_accessible(page, f"warranty as {role} at {width} px")
            shot(page, f"warranty-{role}-{width}")
        page.fill("input[name=days]", "0")
        page.get_by_role("button", name="Anzeigen").click()
        expect(page.locator(".field-error")).to_contain_text("Garantie endet innerhalb von (Tagen)")
