"""Loans (Leihverträge): the description and the rules of one loan. The pupil appears only as the
school's pseudonymous reference."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from schoolit.describe import forms, identifiers
from schoolit.describe.kinds import Day, Normalised, Reference, Text, YesNo
from schoolit.describe.resource import Check, Field, Resource, dates_in_order, row_fields, shown
from schoolit.inventory.definitions import today
from schoolit.inventory.resources.common import past_day_problem
from schoolit.kernel.i18n import N_, gettext
from schoolit.kernel.times import day_text

DUE_BEFORE_LENT = N_("due (%(later)s) before it was lent (%(earlier)s)")
ERASED = N_("erased by the retention rule")
# The longest loan: a pupil's whole lower secondary (grades 5 to 10); a due year such as 2207 is a typo.
LONGEST_LOAN_YEARS = 6
BEFORE_PURCHASE = N_("no earlier than the device's purchase date (%(day)s)")
TOO_LONG = N_("no later than %(day)s (%(years)s years after the lend day)")


def latest_due_day(lent_on: dt.date) -> dt.date:
    """The last day a loan from `lent_on` may be due (29 February moves to the 28th)."""
    try:
        return lent_on.replace(year=lent_on.year + LONGEST_LOAN_YEARS)
    except ValueError:
        return lent_on.replace(year=lent_on.year + LONGEST_LOAN_YEARS, day=28)


def validate(check: Check, stored: Mapping[str, Any]) -> None:
    """`stored`: whether the loan's pupil reference was erased by the retention rule (`erased`) and the
    device's purchase date (`purchase_date`, None when unknown): a device is lent on a day that has passed,
    not before it was bought, nor before the day records begin (`common.EARLIEST_DAY`), and not for longer
    than LONGEST_LOAN_YEARS."""
    dates_in_order(check, "lent_on", "due_on", DUE_BEFORE_LENT)
    lent_on, due_on = check.value("lent_on"), check.value("due_on")
    if lent_on is not None and not check.has_error("lent_on"):
        purchased = stored.get("purchase_date")
        if lent_on <= today() and purchased is not None and lent_on < purchased:
            check.error("lent_on", gettext(BEFORE_PURCHASE, day=day_text(purchased)))
        elif (problem := past_day_problem(lent_on)) is not None:
            check.error("lent_on", problem)
        elif due_on is not None and due_on > latest_due_day(lent_on) and not check.has_error("due_on"):
            check.error("due_on", gettext(TOO_LONG, day=day_text(latest_due_day(lent_on)),
                                          years=LONGEST_LOAN_YEARS))
    if stored.get("erased") and check.given("pupil_ref"):
        check.error("pupil_ref", ERASED)


LOAN = Resource(
    name="loan", plural="loans", table="loan", alias="l", label=N_("loan"),
    source="loan l JOIN school s ON s.id = l.school_id JOIN device d ON d.id = l.device_id",
    county="l.county_id", school="l.school_id", default_sort="due_on", validate=validate,
    fields=(
        *row_fields("l"),
        shown("school_id", int, "l.school_id", N_("School"), Reference(), filter="eq"),
        shown("school_name", str, "s.name", sort="school"),
        shown("school_number", str, "s.school_number"),
        Field("device_id", Reference(), N_("Device"), required=True, form=False, filter="eq"),
        shown("device_serial", str, "d.serial", sort="serial"),
        shown("device_asset_tag", str | None, "d.asset_tag"),
        shown("device_kind", str, "d.kind"),
        shown("device_vendor", str, "d.vendor"),
        shown("device_model", str, "d.model"),
        shown("device_accessories", str, "d.accessories"),
        shown("device_purchase_date", dt.date | None, "d.purchase_date"),
        # None once erased by the retention rule
        Field("pupil_ref", Normalised(identifiers.pupil_reference), N_("Pupil reference"), required=True,
              autofocus=True, sort="pupil_ref", search=True, out_type=str | None,
              help=N_("The pseudonym your school issues, e.g. 7b-14. Never a name.")),
        Field("class_name", Text(20), N_("Class"), filter="eq", sort="class", search=True),
        Field("lent_on", Day(), N_("Lent on"), sort="lent_on"),
        Field("due_on", Day(), N_("Due on"), sort="due_on", help=N_("Empty: the end of the school year (31 July).")),
        shown("returned_on", dt.date | None, "l.returned_on", sort="returned_on"),
        shown("overdue", bool, ""),
        # What the agreement states of the handover: only what was recorded (empty: a line to fill in by hand).
        Field("condition_out", Text(2000), N_("Condition when lent"), widget="textarea", help=N_(
            "As found on handing over. Empty: the agreement leaves a line to fill in by hand.")),
        Field("accessories_out", Text(300), N_("Accessories handed out"), widget="textarea", help=N_(
            "E.g. case, charging cable, power supply. Empty: the agreement leaves a line to fill in by hand.")),
        shown("condition_in", str, "l.condition_in"),
        Field("agreement_signed", YesNo(), N_("Loan agreement signed")),
        shown("pupil_ref_erased_at", dt.datetime | None, "l.pupil_ref_erased_at"),
    ),
)
LOANS = LOAN.listing(search=("d.serial", "d.asset_tag"))

# The return of one loan (the class return has its own page): not a described resource's form.
RETURN_FORM = (
    forms.Field("returned_on", N_("Returned on"), "date", help=N_("Empty: today.")),
    forms.Field("condition_in", N_("Condition on return"), "textarea", autofocus=True),
    forms.Field("device_status", N_("The device goes"), "select", required=True, labels={
        "stock": N_("back into stock"), "repair": N_("to repair"), "lost": N_("reported lost")}),
)
