"""API input and output of WLAN controllers (`schoolit.inventory.wlan_controllers`)."""

from __future__ import annotations

import datetime as dt

import msgspec
from msgspec import UNSET, UnsetType

from schoolit.inventory.schemas import Input


class WlanControllerIn(Input):
    """`school_id` for a school's controller, else `county_id` for a county's; neither changes later."""

    county_id: int | UnsetType = UNSET
    school_id: int | UnsetType | None = UNSET
    name: str | UnsetType = UNSET
    profile: str | UnsetType = UNSET  # cisco-9800, aruba-os, ruckus-smartzone
    model: str | UnsetType = UNSET
    management_ip: str | UnsetType = UNSET
    snmp_port: int | UnsetType = UNSET
    snmp_profile_id: int | UnsetType | None = UNSET
    notes: str | UnsetType = UNSET


class WlanControllerOut(msgspec.Struct):
    id: int
    county_id: int
    school_id: int | None
    school_name: str | None
    name: str
    profile: str
    model: str
    management_ip: str
    snmp_port: int
    snmp_profile_id: int | None
    snmp_profile_name: str | None
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime
