"""What the probe reads from a WLAN controller: its access-point table and radio table, per vendor, as data.

A controller (or a virtual controller / cluster master) answers for many access points: one walk of its
AP table and radio table gives, per access point it manages, whether it is joined and up, whether any
radio serves, and its clients. The probe matches the rows to the inventory's access points by MAC (the
row index) or serial; an inventory access point missing from the table is down, one whose radios all
are down gives no WLAN, and rows that match no inventory access point are reported for adoption.
Adding a vendor means adding a `ControllerProfile` row below, not code.

Sources (MIB object names and numbers checked against the public MIB definitions, as compiled for pysnmp
in public MIB collections, and against monitoring code that polls these controllers: LibreNMS, Centreon,
OpenNMS, Checkmk):
- Cisco Catalyst 9800 (IOS-XE): CISCO-LWAPP-AP-MIB cLApTable 1.3.6.1.4.1.9.9.513.1.1.1.1, indexed by
  cLApSysMacAddress (MacAddress, six arcs), cLApName (.5). Its radio table cLApDot11IfTable has only the
  admin state (cLApDot11IfAdminStatus, .14), so radio oper state and clients come from the
  AIRESPACE-WIRELESS-MIB bsnAPIfTable the 9800 also serves: bsnAPIfOperStatus
  1.3.6.1.4.1.14179.2.2.2.1.12 (down(1)/up(2)) and bsnApIfNoOfUsers (.15), rows MAC + slot.
  A joined AP is listed; one that left the controller is not.
- ArubaOS controllers (mobility controllers, 6.x/8.x), WLSX-WLAN-MIB: wlsxWlanAPTable
  1.3.6.1.4.1.14823.2.2.1.5.2.1.4.1 indexed by wlanAPMacAddress (six arcs): wlanAPName (.3),
  wlanAPSerialNumber (.6), wlanAPModelName (.13), wlanAPStatus (.19, up(1)/down(2)). wlsxWlanRadioTable
  .5.1 indexed by MAC + wlanAPRadioNumber: wlanAPRadioNumAssociatedClients (.7) and
  wlanAPRadioNumActiveBSSIDs (.9). The MIB has no radio oper status: a radio serves while it has an
  active BSSID (a radio that is off or failed has none).
- Ruckus SmartZone (vSZ/SZ-100/SZ-300), RUCKUS-SZ-WLAN-MIB: ruckusSZAPTable
  1.3.6.1.4.1.25053.1.4.2.1.1.2.2.1 indexed by ruckusSZAPMac (six arcs): ruckusSZAPName (.5),
  ruckusSZAPModel (.8), ruckusSZAPSerial (.9), ruckusSZAPNumSta (.15), ruckusSZAPConnStatus (.16, text:
  "Connect" or "Disconnect"). This MIB has no radio table: the radio state of SmartZone APs stays unknown
  (an AP that is disconnected is down).
- Ruckus ZoneDirector and Unleashed masters, RUCKUS-ZD-WLAN-MIB: ruckusZDWLANAPTable
  1.3.6.1.4.1.25053.1.2.2.1.1.2.1.1: ruckusZDWLANAPDescription (.2), ruckusZDWLANAPStatus (.3,
  disconnected(0)/connected(1)/approvalPending(2)/upgradingFirmware(3)/provisioning(4)),
  ruckusZDWLANAPModel (.4), ruckusZDWLANAPSerialNumber (.5); ruckusZDWLANAPRadioStatsTable
  1.3.6.1.4.1.25053.1.2.2.1.1.2.2.1: ruckusZDWLANAPRadioStatsNumVAP (.7), ruckusZDWLANAPRadioStatsNumSta
  (.8). The index MAC is sent as an OCTET STRING with its length (6 and six arcs), as monitoring plugins
  walk it; a radio serves while it has a virtual AP (a radio switched off has none).

- Extreme Wireless controllers (EWC / ExtremeWireless, ex-Enterasys and Siemens HiPath Wireless),
  HIPATH-WIRELESS-HWC-MIB (LibreNMS mibs/ewc; accessPoints 1.3.6.1.4.1.4329.15.3.5): apTable
  1.3.6.1.4.1.4329.15.3.5.1.2.1 indexed by apIndex (Integer32, not the MAC): apName (.2),
  apSerialNumber (.4, 16 octets), apIfMAC (.13, MacAddress), apState (.22, active(1)/inactive(2)).
  apStatsTable 1.3.6.1.4.1.4329.15.3.5.2.2.1, same index: apStatsMuCounts (.14, the AP's clients).
  apRadioTable 1.3.6.1.4.1.4329.15.3.5.1.3.1 indexed by apIndex + the radio's ifIndex: apRadioType (.3,
  off(0), else the 802.11 mode the radio runs). apRadioType is deprecated since the 2014 revision in favour
  of apRadioProtocol (BITS, which cannot say off); a controller that no longer answers it leaves the radio
  state unknown rather than down.

- LANCOM WLC (WLC-4006+, WLC-1000, routers with the WLC option; LCOS), LCOS-MIB lcsStatusWlanMngmt
  1.3.6.1.4.1.2356.11.1.73 (netdisco-mibs lancom/LC-UNIFIED-LCOS-10-94-REL-OIDS.mib): the AP table is the
  CAPWAP connection table lcsStatusWlanMngmtApConnectionsTable .73.4.1, indexed by its job number (not the
  MAC): ApLanMac (.3, MacAddress), IpAddress (.4), State (.6, eRun(100) when the AP is joined and serving;
  eDiscovery(10) … eSulking(45) while it joins or fails). The radio table
  lcsStatusWlanMngmtApStatusActiveRadiosTable .73.9.2.1 is indexed by ApLanMac (six arcs) + Ifc (the WLAN
  interface): Name (.3), ClientCount (.10), Operating (.15, eNo(0)/eYes(1)), Module (.21), SerialNumber (.22).
  An expected AP that is not connected leaves the connection table (LCOS lists it under MissingAp, .73.9.1).
  The AP's name, model and serial are columns of its radio rows, not of the AP table.

No controller profile for Zyxel NXC: Zyxel's public MIBs for the NXC (ZYXEL-ES-CAPWAP: the scalars
capwapOnlineAP, capwapOfflineAP, capwapUnMgntAP, capwapTotalStation; ZYXEL-ES-ZyxelAPMgmt: operationMode
only) have no per-access-point table. Its access points are polled one by one with the Zyxel
(ZYXEL-ES-WIRELESS) access-point profile, `schoolit.probes.agent.profiles`.
"""

from __future__ import annotations

from typing import Literal

import msgspec

# A radio is up when its status column has one of `radio_up`; `POSITIVE` means any value above zero
# (a count such as active BSSIDs).
POSITIVE: tuple[int, ...] = ()


def _mac_from_arcs(arcs: list[str]) -> str | None:
    try:
        octets = [int(arc) for arc in arcs]
    except ValueError:
        return None
    if len(octets) != 6 or any(not 0 <= octet <= 255 for octet in octets):
        return None
    return ":".join(f"{octet:02x}" for octet in octets)


class ControllerProfile(msgspec.Struct, frozen=True, kw_only=True):
    """The AP table and radio table of one controller family.

    `ap_index`: how an AP row's index encodes the AP's MAC: `mac` six decimal arcs; `mac-length` the
    length 6 and then six arcs (an OCTET STRING index without fixed size); `integer` one arc that is no
    MAC (the table's own number), the MAC then being the value of the `ap_mac` column. Radio rows are
    indexed by the AP's index followed by the radio's number.
    `ap_status`/`ap_status_up`: an AP row whose status is not one of these is listed but down.
    `radio_status`/`radio_up`: a radio row serves when its value is one of `radio_up` (empty: above 0).
    `radio_index`: `ap` when radio rows are indexed by the AP's index + the radio's number, `mac` when they
    are indexed by the AP's MAC (six arcs) + the radio's number although the AP table has an `integer` index.
    `details_in_radios`: `ap_name`, `ap_serial` and `ap_model` are columns of the radio table (every radio row
    of an AP repeats them), not of the AP table.
    """

    name: str
    title: str
    vendor: str  # the inventory vendor of the access points this controller manages
    ap_index: Literal["mac", "mac-length", "integer"] = "mac"
    ap_mac: str | None = None  # with `ap_index="integer"`: the column holding the AP's MAC
    ap_name: str | None = None
    ap_serial: str | None = None
    ap_model: str | None = None
    ap_status: str | None = None
    ap_status_up: tuple[int | str, ...] = ()
    ap_clients: str | None = None
    radio_status: str | None = None
    radio_up: tuple[int, ...] = POSITIVE
    radio_clients: str | None = None
    radio_index: Literal["ap", "mac"] = "ap"
    details_in_radios: bool = False

    @property
    def _details(self) -> tuple[str | None, ...]:
        return (self.ap_name, self.ap_serial, self.ap_model)

    @property
    def ap_columns(self) -> tuple[str, ...]:
        """The AP-table columns to walk (every listed AP has a row in each)."""
        details = () if self.details_in_radios else self._details
        columns = (self.ap_mac, *details, self.ap_status, self.ap_clients)
        return tuple(column for column in columns if column is not None)

    @property
    def radio_columns(self) -> tuple[str, ...]:
        details = self._details if self.details_in_radios else ()
        return tuple(column for column in (self.radio_status, self.radio_clients, *details) if column is not None)

    def radio_key_of(self, index: str) -> tuple[str, str] | None:
        """The AP a radio row belongs to (as `key_of`, or its MAC with `radio_index="mac"`) and the radio's part."""
        if self.radio_index == "mac":
            mac = _mac_from_arcs(index.split(".")[:6])
            return None if mac is None else (mac, ".".join(index.split(".")[6:]))
        key = self.key_of(index)
        return None if key is None else (key, ".".join(index.split(".")[self.index_arcs :]))

    @property
    def index_arcs(self) -> int:
        """How many arcs of a row index belong to the AP (the rest name the radio)."""
        return {"mac": 6, "mac-length": 7, "integer": 1}[self.ap_index]

    def key_of(self, index: str) -> str | None:
        """The AP a row belongs to: its MAC when the index is one, else the index's AP arcs."""
        if self.ap_index != "integer":
            return self.mac_of(index)
        arcs = index.split(".")[: self.index_arcs]
        return arcs[0] if len(arcs) == 1 and arcs[0].isdigit() else None

    def mac_of(self, index: str) -> str | None:
        """The AP's MAC (aa:bb:…) from a row index, or None when the index is no MAC."""
        if self.ap_index == "integer":
            return None
        arcs = index.split(".")[: self.index_arcs]
        if self.ap_index == "mac-length":
            if len(arcs) != 7 or arcs[0] != "6":
                return None
            arcs = arcs[1:]
        return _mac_from_arcs(arcs)

    def radio_serves(self, value: object) -> bool:
        if not isinstance(value, int):
            return False
        return value > 0 if self.radio_up == POSITIVE else value in self.radio_up


CONTROLLER_PROFILES: dict[str, ControllerProfile] = {
    profile.name: profile
    for profile in (
        ControllerProfile(
            name="cisco-9800",
            title="Cisco Catalyst 9800 (CISCO-LWAPP-AP-MIB)",
            vendor="cisco",
            ap_name="1.3.6.1.4.1.9.9.513.1.1.1.1.5",
            radio_status="1.3.6.1.4.1.14179.2.2.2.1.12",
            radio_up=(2,),
            radio_clients="1.3.6.1.4.1.14179.2.2.2.1.15",
        ),
        ControllerProfile(
            name="aruba-os",
            title="ArubaOS controller (WLSX-WLAN-MIB)",
            vendor="aruba",
            ap_name="1.3.6.1.4.1.14823.2.2.1.5.2.1.4.1.3",
            ap_serial="1.3.6.1.4.1.14823.2.2.1.5.2.1.4.1.6",
            ap_model="1.3.6.1.4.1.14823.2.2.1.5.2.1.4.1.13",
            ap_status="1.3.6.1.4.1.14823.2.2.1.5.2.1.4.1.19",
            ap_status_up=(1,),
            radio_status="1.3.6.1.4.1.14823.2.2.1.5.2.1.5.1.9",
            radio_clients="1.3.6.1.4.1.14823.2.2.1.5.2.1.5.1.7",
        ),
        ControllerProfile(
            name="ruckus-smartzone",
            title="Ruckus SmartZone (RUCKUS-SZ-WLAN-MIB)",
            vendor="ruckus",
            ap_name="1.3.6.1.4.1.25053.1.4.2.1.1.2.2.1.5",
            ap_model="1.3.6.1.4.1.25053.1.4.2.1.1.2.2.1.8",
            ap_serial="1.3.6.1.4.1.25053.1.4.2.1.1.2.2.1.9",
            ap_clients="1.3.6.1.4.1.25053.1.4.2.1.1.2.2.1.15",
            ap_status="1.3.6.1.4.1.25053.1.4.2.1.1.2.2.1.16",
            ap_status_up=("Connect",),
        ),
        ControllerProfile(
            name="ruckus-zonedirector",
            title="Ruckus ZoneDirector / Unleashed (RUCKUS-ZD-WLAN-MIB)",
            vendor="ruckus",
            ap_index="mac-length",
            ap_name="1.3.6.1.4.1.25053.1.2.2.1.1.2.1.1.2",
            ap_status="1.3.6.1.4.1.25053.1.2.2.1.1.2.1.1.3",
            ap_status_up=(1,),
            ap_model="1.3.6.1.4.1.25053.1.2.2.1.1.2.1.1.4",
            ap_serial="1.3.6.1.4.1.25053.1.2.2.1.1.2.1.1.5",
            radio_status="1.3.6.1.4.1.25053.1.2.2.1.1.2.2.1.7",
            radio_clients="1.3.6.1.4.1.25053.1.2.2.1.1.2.2.1.8",
        ),
        ControllerProfile(
            name="extreme-wireless",
            title="Extreme Wireless controller (HIPATH-WIRELESS-HWC-MIB)",
            vendor="extreme",
            ap_index="integer",
            ap_mac="1.3.6.1.4.1.4329.15.3.5.1.2.1.13",
            ap_name="1.3.6.1.4.1.4329.15.3.5.1.2.1.2",
            ap_serial="1.3.6.1.4.1.4329.15.3.5.1.2.1.4",
            ap_status="1.3.6.1.4.1.4329.15.3.5.1.2.1.22",
            ap_status_up=(1,),
            ap_clients="1.3.6.1.4.1.4329.15.3.5.2.2.1.14",
            radio_status="1.3.6.1.4.1.4329.15.3.5.1.3.1.3",
        ),
        ControllerProfile(
            name="lancom-wlc",
            title="LANCOM WLC (LCOS-MIB lcsStatusWlanMngmt)",
            vendor="lancom",
            ap_index="integer",
            ap_mac="1.3.6.1.4.1.2356.11.1.73.4.1.3",
            ap_status="1.3.6.1.4.1.2356.11.1.73.4.1.6",
            ap_status_up=(100,),
            radio_index="mac",
            details_in_radios=True,
            ap_name="1.3.6.1.4.1.2356.11.1.73.9.2.1.3",
            ap_model="1.3.6.1.4.1.2356.11.1.73.9.2.1.21",
            ap_serial="1.3.6.1.4.1.2356.11.1.73.9.2.1.22",
            radio_status="1.3.6.1.4.1.2356.11.1.73.9.2.1.15",
            radio_up=(1,),
            radio_clients="1.3.6.1.4.1.2356.11.1.73.9.2.1.10",
        ),
    )
}
CONTROLLER_PROFILE_NAMES = tuple(CONTROLLER_PROFILES)
