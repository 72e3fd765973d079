"""Enumerations of the accounts domain."""

from enum import StrEnum


class FederalState(StrEnum):
    """German Länder by their ISO 3166-2 suffix (the ones our counties are in are enough for now)."""

    RP = "RP"  # Rheinland-Pfalz
    BW = "BW"  # Baden-Württemberg
    HE = "HE"
    SL = "SL"
    NW = "NW"
