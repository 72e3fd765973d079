"""Enumerations of the inventory domain (stored as their value, shown through the catalog)."""

from enum import StrEnum

from schoolit.web.i18n import N_


class SchoolType(StrEnum):
    """Kinds of school a county runs in Rheinland-Pfalz (and neighbours)."""

    GYMNASIUM = "gymnasium"
    IGS = "igs"  # Integrierte Gesamtschule
    REALSCHULE_PLUS = "realschule_plus"
    BBS = "bbs"  # Berufsbildende Schule
    FOERDERSCHULE = "foerderschule"
    OTHER = "other"


SCHOOL_TYPE_LABELS = {
    SchoolType.GYMNASIUM: N_("Gymnasium"),
    SchoolType.IGS: N_("Integrated comprehensive school (IGS)"),
    SchoolType.REALSCHULE_PLUS: N_("Realschule plus"),
    SchoolType.BBS: N_("Vocational school (BBS)"),
    SchoolType.FOERDERSCHULE: N_("Special-needs school (Förderschule)"),
    SchoolType.OTHER: N_("Other"),
}
