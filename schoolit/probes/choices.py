"""Enumerations of the probes domain."""

from enum import IntEnum


class AssetKind(IntEnum):
    """What a sample is about. Stored as a small integer: the sample and rollup tables are the
    largest in the database, and a text column would double their key size."""

    ACCESS_POINT = 1
    UPLINK = 2

    @classmethod
    def from_wire(cls, value: str) -> "AssetKind":
        return {"access_point": cls.ACCESS_POINT, "uplink": cls.UPLINK}[value]

    @property
    def wire(self) -> str:
        return "access_point" if self is AssetKind.ACCESS_POINT else "uplink"
