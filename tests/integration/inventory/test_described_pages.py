"""The device page and the device list's filter form follow the device's description: every field marked
for the page (`Field.page`) is a row of the page under its German label, and every described filter of the
list (the fields' and the extra ones) is an input of the form under its German label. So a new field needs
no template: its one description line puts it on the page and into the form."""

from __future__ import annotations

import re

import httpx

from schoolit.inventory.resources.device import DEVICE, DEVICES
from schoolit.kernel.i18n import translations
from tests.integration.accounts.test_login import login
from tests.integration.inventory.support import obj
from tests.integration.world import World


def _german(message: str) -> str:
    return translations("de").gettext(message)


async def test_every_described_page_field_is_on_the_device_page(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    page = await client.get(f"/devices/{obj(world, 'device', 'kib')}")
    assert page.status_code == 200, page.text
    details = re.search(r'<dl class="details">(.*?)</dl>', page.text, re.S)
    assert details is not None
    shown = re.findall(r"<dt>(.*?)</dt>", details.group(1))
    described = [f for group in DEVICE.details.values() for f in group]
    assert {"serial", "inventory_number", "price_cents", "supplier", "notes"} <= {f.name for f in described}
    for f in described:
        assert _german(f.page_label or f.label) in shown, f.name


async def test_every_described_filter_is_in_the_device_list_form(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    page = await client.get("/devices")
    assert page.status_code == 200, page.text
    form = re.search(r'data-testid="device-filters">(.*?)</form>', page.text, re.S)
    assert form is not None
    labels = dict(re.findall(r'<label>([^<]*?)\s*<(?:select|input) name="([a-z_]+)"', form.group(1)))
    by_name = {name: label for label, name in labels.items()}
    assert {"inventory_number", "warranty_before", "mdm_silent"} <= set(DEVICES.filters)
    for name, spec in DEVICES.filters.items():
        assert by_name.get(name) == _german(spec.label), name
