"""What the probe reads from a device: numeric OIDs and per-vendor profiles, kept as data.

Every poll reads the system group (sysUpTime, sysName, sysObjectID). Uplink routers add the IF-MIB
counters of their configured interface. Access points add the two figures of their vendor profile: the
number of associated clients and whether a radio is up. No vendor MIB offers both as scalars, so a
profile names table *columns* and says how their rows are folded into one figure (`ColumnRead`).
Adding a vendor means adding a `VendorProfile` row below, not code.

Sources of the vendor OIDs (MIB object names and numbers checked against public monitoring code that
polls these devices: LibreNMS, Centreon plugins, Observium, Zenoss and Datadog profiles, collectd docs):
- Aruba Instant, AI-AP-MIB: aiRadioTable 1.3.6.1.4.1.14823.2.3.3.1.2.2.1, aiRadioStatus (.20,
  up(1)/down(2)), aiRadioClientNum (.21); rows indexed by access point MAC (6 arcs) + radio number.
  The virtual controller answers for the whole cluster.
- Cisco AireOS WLC, AIRESPACE-WIRELESS-MIB: bsnAPIfTable 1.3.6.1.4.1.14179.2.2.2.1, bsnAPIfOperStatus
  (.12, down(1)/up(2) -- the reverse of most MIBs), bsnApIfNoOfUsers (.15); rows indexed by the access
  point's MAC (6 arcs) + slot. The controller answers, the access point itself does not.
- UniFi, UBNT-UniFi-MIB: unifiVapTable 1.3.6.1.4.1.41112.1.6.1.2.1, unifiVapNumStations (.8),
  unifiVapUp (.22, TruthValue true(1)).
- LANCOM LCOS, LCOS-MIB: no client-count object; lcsStatusWlanStationTableEntryState
  1.3.6.1.4.1.2356.11.1.3.32.1.10 has one row per station, 3 = connected. We found no radio
  oper-status column we could verify, so `radio_up` stays unknown for LANCOM.
- Aerohive / Extreme IQ Engine (HiveOS) access points, AH-INTERFACE-MIB (enterprise 26928, LibreNMS
  mibs/aerohive): ahAssociationTable 1.3.6.1.4.1.26928.1.1.1.2.1.2.1 has one row per associated client,
  indexed by ifIndex + ahClientMac; its column ahClientChannel (.13, Integer32) is walked and its rows
  counted. The MIB has no radio oper-status column (ahXIfTable augments ifTable with names, SSIDs and
  modes only), so the radio state is IF-MIB's, as in the generic profile: ifOperStatus of the
  ieee80211(71) interfaces wifi0/wifi1.
- Zyxel access points (NWA/WAC, standalone or managed by an NXC controller: they answer for themselves),
  ZYXEL-ES-WIRELESS (LibreNMS mibs/zyxel; esMgmt 1.3.6.1.4.1.890.1.15.3): wlanRadioTable
  1.3.6.1.4.1.890.1.15.3.5.1.1 indexed by wlanRadioIndex: wlanCurrentChannel (.1, device_is_disable(0)
  for a radio switched off, else its channel), wlanStationCount (.2). The NXC controller itself has no
  per-access-point table in a public MIB (ZYXEL-ES-CAPWAP: only the counts capwapOnlineAP/
  capwapOfflineAP/capwapTotalStation; ZYXEL-ES-ZyxelAPMgmt: only operationMode).
- Generic: IF-MIB ifOperStatus 1.3.6.1.2.1.2.2.1.8 of interfaces whose ifType (.3) is
  ieee80211(71); no standard MIB counts clients.
"""

from __future__ import annotations

from typing import Literal

import msgspec

# SNMPv2-MIB system group (scalars, instance .0).
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYSTEM_OIDS = (SYS_UPTIME, SYS_NAME, SYS_OBJECT_ID)

# IF-MIB columns read for an uplink's configured ifIndex.
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"  # Counter64
IF_HC_OUT_OCTETS = "1.3.6.1.2.1.31.1.1.1.10"  # Counter64
IF_HIGH_SPEED = "1.3.6.1.2.1.31.1.1.1.15"  # Gauge32, Mbit/s
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"  # up(1), down(2), ...
IF_TYPE = "1.3.6.1.2.1.2.2.1.3"
IF_IN_OCTETS = "1.3.6.1.2.1.2.2.1.10"  # Counter32: the fallback where a router has no HC counters
IF_OUT_OCTETS = "1.3.6.1.2.1.2.2.1.16"
# The 32-bit counters come along in the same GET (two more varbinds, no extra round trip); they are
# used only when the HC counters are missing.
UPLINK_COLUMNS = (IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS, IF_HIGH_SPEED, IF_OPER_STATUS, IF_IN_OCTETS, IF_OUT_OCTETS)

IF_TYPE_IEEE80211 = 71
# An uplink's interface named instead of numbered (ifIndex changes when a router adds a PPPoE or VLAN
# interface): looked up in these columns, in this order (IF-MIB ifName, ifAlias; MIB-II ifDescr).
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_ALIAS = "1.3.6.1.2.1.31.1.1.1.18"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
INTERFACE_NAMES = (IF_NAME, IF_ALIAS, IF_DESCR)


def uplink_oids(if_index: int) -> tuple[str, ...]:
    """The instance OIDs of one interface, in the order of UPLINK_COLUMNS."""
    return tuple(f"{column}.{if_index}" for column in UPLINK_COLUMNS)


class ColumnRead(msgspec.Struct, frozen=True, kw_only=True):
    """How one figure is folded from the rows of a table column.

    `sum`: add the values (None when the table has no rows: the profile does not fit the device).
    `count`: count the rows whose value is one of `values` (0 for an empty table: no stations).
    `rows`: count the rows whatever their value (a table with one row per client; 0 when empty).
    `nonzero`: like `any`, True when any row's value is not 0 (a channel column where 0 means off).
    `any`: True when any row's value is one of `values`, False when none is, None without rows.
    `where_column`/`where_values` keep only rows whose value in that other column is one of
    `where_values` (rows are matched by their index).
    """

    column: str
    aggregate: Literal["sum", "count", "rows", "any", "nonzero"]
    values: tuple[int, ...] = ()
    where_column: str | None = None
    where_values: tuple[int, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,) if self.where_column is None else (self.column, self.where_column)

    def fold(self, table: dict[str, dict[str, int]]) -> int | bool | None:
        """Fold walked rows (`{column: {row index: value}}`) into the figure."""
        rows = table.get(self.column, {})
        if self.where_column is not None:
            where = table.get(self.where_column, {})
            rows = {index: value for index, value in rows.items() if where.get(index) in self.where_values}
        if self.aggregate == "sum":
            return sum(rows.values()) if rows else None
        if self.aggregate == "rows":
            return len(rows)
        if self.aggregate == "count":
            return sum(1 for value in rows.values() if value in self.values)
        if not rows:
            return None
        if self.aggregate == "nonzero":
            return any(value != 0 for value in rows.values())
        return any(value in self.values for value in rows.values())


class VendorProfile(msgspec.Struct, frozen=True, kw_only=True):
    """The access-point figures of one vendor family."""

    name: str
    title: str
    clients: ColumnRead | None
    radio: ColumnRead | None

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column a poll must walk, each once."""
        reads = [read for read in (self.clients, self.radio) if read is not None]
        return tuple(dict.fromkeys(column for read in reads for column in read.columns))


# A radio is up when any ieee80211 interface of IF-MIB is oper up (the generic profile's radio figure).
RADIO_BY_IF_MIB = ColumnRead(column=IF_OPER_STATUS, aggregate="any", values=(1,), where_column=IF_TYPE,
                             where_values=(IF_TYPE_IEEE80211,))

PROFILES: dict[str, VendorProfile] = {
    profile.name: profile
    for profile in (
        VendorProfile(
            name="aruba-instant",
            title="Aruba Instant (AI-AP-MIB)",
            clients=ColumnRead(column="1.3.6.1.4.1.14823.2.3.3.1.2.2.1.21", aggregate="sum"),
            radio=ColumnRead(column="1.3.6.1.4.1.14823.2.3.3.1.2.2.1.20", aggregate="any", values=(1,)),
        ),
        VendorProfile(
            name="cisco-aireos",
            title="Cisco AireOS WLC (AIRESPACE-WIRELESS-MIB)",
            clients=ColumnRead(column="1.3.6.1.4.1.14179.2.2.2.1.15", aggregate="sum"),
            radio=ColumnRead(column="1.3.6.1.4.1.14179.2.2.2.1.12", aggregate="any", values=(2,)),
        ),
        VendorProfile(
            name="unifi",
            title="Ubiquiti UniFi (UBNT-UniFi-MIB)",
            clients=ColumnRead(column="1.3.6.1.4.1.41112.1.6.1.2.1.8", aggregate="sum"),
            radio=ColumnRead(column="1.3.6.1.4.1.41112.1.6.1.2.1.22", aggregate="any", values=(1,)),
        ),
        VendorProfile(
            name="lancom",
            title="LANCOM LCOS (LCOS-MIB)",
            clients=ColumnRead(column="1.3.6.1.4.1.2356.11.1.3.32.1.10", aggregate="count", values=(3,)),
            radio=None,
        ),
        VendorProfile(
            name="aerohive",
            title="Aerohive / Extreme IQ Engine (AH-INTERFACE-MIB, radios by IF-MIB)",
            clients=ColumnRead(column="1.3.6.1.4.1.26928.1.1.1.2.1.2.1.13", aggregate="rows"),
            radio=RADIO_BY_IF_MIB,
        ),
        VendorProfile(
            name="zyxel",
            title="Zyxel NWA/WAC (ZYXEL-ES-WIRELESS)",
            clients=ColumnRead(column="1.3.6.1.4.1.890.1.15.3.5.1.1.2", aggregate="sum"),
            radio=ColumnRead(column="1.3.6.1.4.1.890.1.15.3.5.1.1.1", aggregate="nonzero"),
        ),
        VendorProfile(
            name="generic",
            title="Generic (IF-MIB, no client count)",
            clients=None,
            radio=RADIO_BY_IF_MIB,
        ),
    )
}
PROFILE_NAMES = tuple(PROFILES)
