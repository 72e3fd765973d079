"""The inventory's controller types and the probe's controller profiles name the same controllers (the
inventory does not import the probes, so this test keeps the two lists equal), and each profile can
tell a MAC from its rows' index."""

from pysnmp.proto.rfc1902 import OctetString

from schoolit.inventory.choices import CONTROLLER_VENDORS, ControllerProfile, Vendor
from schoolit.probes.agent.controller_poll import mac_cell
from schoolit.probes.agent.controller_profiles import CONTROLLER_PROFILES


def test_inventory_controller_types_are_the_probe_profiles() -> None:
    assert {profile.value for profile in ControllerProfile} == set(CONTROLLER_PROFILES)
    for profile in ControllerProfile:
        assert CONTROLLER_VENDORS[profile] == CONTROLLER_PROFILES[profile.value].vendor
        assert CONTROLLER_VENDORS[profile] in {vendor.value for vendor in Vendor}


def test_mac_from_row_index() -> None:
    cisco = CONTROLLER_PROFILES["cisco-9800"]
    assert cisco.mac_of("0.58.125.16.0.1") == "00:3a:7d:10:00:01"
    assert cisco.mac_of("0.58.125.16.0.1.1") == "00:3a:7d:10:00:01"  # a radio row: MAC + slot
    assert cisco.mac_of("0.58.125") is None and cisco.mac_of("0.58.125.16.0.300") is None


def test_every_vendor_the_inventory_offers_has_a_profile_or_is_labelled_generic() -> None:
    from schoolit.inventory.choices import VENDOR_LABELS
    from schoolit.probes.targets import VENDOR_PROFILES

    for vendor in Vendor:
        if vendor.value not in VENDOR_PROFILES and vendor is not Vendor.GENERIC:
            assert "generic" in VENDOR_LABELS[vendor], vendor


def test_an_integer_index_names_the_access_point_and_its_mac_comes_from_a_column() -> None:
    extreme = CONTROLLER_PROFILES["extreme-wireless"]
    assert extreme.ap_mac in extreme.ap_columns
    assert extreme.key_of("7") == "7" and extreme.key_of("7.1013") == "7"  # an AP row, a radio row (ifIndex)
    assert extreme.key_of("x") is None and extreme.mac_of("7") is None
    assert mac_cell(OctetString(hexValue="001f45500004")) == "00:1f:45:50:00:04"
    assert mac_cell(OctetString("00:1F:45:50:00:04")) == "00:1f:45:50:00:04"  # sent as text by some agents
    assert mac_cell(OctetString("")) is None and mac_cell(OctetString("not a mac")) is None


def test_aerohive_counts_association_rows_and_reads_radios_from_if_mib() -> None:
    from schoolit.probes.agent.profiles import IF_OPER_STATUS, IF_TYPE, PROFILES

    aerohive = PROFILES["aerohive"]
    assert aerohive.clients is not None and aerohive.radio is not None
    nobody = {aerohive.clients.column: {}}
    assert aerohive.clients.fold(nobody) == 0  # no client associated: 0, not unknown
    assoc = {aerohive.clients.column: {"7.60.6.48.1.2.1": 36, "8.60.6.48.1.2.2": 6}}
    assert aerohive.clients.fold(assoc) == 2
    radios_down = {IF_TYPE: {"1": 6, "7": 71, "8": 71}, IF_OPER_STATUS: {"1": 1, "7": 2, "8": 2}}
    assert aerohive.radio.fold(radios_down) is False  # the wired port being up does not count


def test_lancom_radio_rows_are_indexed_by_mac_although_the_ap_table_is_numbered() -> None:
    lancom = CONTROLLER_PROFILES["lancom-wlc"]
    assert lancom.key_of("5") == "5"  # a CAPWAP connection (job 5)
    assert lancom.radio_key_of("0.160.87.96.0.4.2") == ("00:a0:57:60:00:04", "2")  # MAC + WLAN interface
    assert lancom.radio_key_of("0.160.87") is None
    assert lancom.ap_name not in lancom.ap_columns and lancom.ap_name in lancom.radio_columns
