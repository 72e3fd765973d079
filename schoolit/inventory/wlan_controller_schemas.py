"""API input and output of WLAN controllers, derived from their description
(`schoolit.inventory.resources.wlan_controller`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from msgspec import UNSET, UnsetType

from schoolit.inventory.resources.wlan_controller import WLAN_CONTROLLER
from schoolit.schemas import Input


class WlanControllerPlace(Input):
    """Where a new controller belongs: `school_id` for a school's, else `county_id` for a county's (neither
    changes later)."""

    county_id: int | UnsetType = UNSET


if TYPE_CHECKING:  # the checker sees the bases; the app the Structs derived from the description
    WlanControllerIn = WlanControllerPlace
    WlanControllerOut = msgspec.Struct
else:
    WlanControllerIn = WLAN_CONTROLLER.input_struct("WlanControllerIn", WlanControllerPlace)
    WlanControllerOut = WLAN_CONTROLLER.output_struct("WlanControllerOut", __name__)
