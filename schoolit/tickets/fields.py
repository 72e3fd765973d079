"""The labels of the tickets domain's field codes: the fields of tickets, comments, time entries,
categories, SLA policies and calendars, mailboxes, webhooks, text modules and notification settings,
and the queue's filters. Registered at start-up (`schoolit.kernel.labels`), so an error page and the
API's problem details name a field the way its form does; English message ids, German from the catalog.
"""

from __future__ import annotations

from schoolit.kernel.i18n import N_

LABELS = {
    # tickets, the public fault form and the ticket page
    "subject": N_("Subject"), "description": N_("Description"), "category_id": N_("Category"),
    "category": N_("Category"), "urgency": N_("Urgency"), "impact": N_("Impact"), "status": N_("Status"),
    "assignee_id": N_("Assignee"), "asset_kind": N_("Kind of asset"), "asset_id": N_("Asset"),
    "reporter_email": N_("Your e-mail address"), "reporter_name": N_("Name"), "body": N_("Comment"),
    "comment": N_("Comment"), "file": N_("File"), "consent": N_("Consent"), "form": N_("Form"),
    "confirm": N_("Confirmation"),
    "caller": N_("Caller"),
    # time accounting and reports
    "minutes": N_("Minutes"), "worked_on": N_("Day"), "note": N_("what was done"), "month": N_("Month"),
    "since": N_("From"), "until": N_("To"),
    # the queue
    "view": N_("View"),
    # categories, SLA policies and business calendars
    "arrangement": N_("Arrangement"), "matrix": N_("Response and resolution times"),
    "calendar": N_("Calendar"), "close_after_days": N_("Close after days"),
    # mailboxes, mail senders, webhooks, text modules, notifications
    "host": N_("Server"), "port": N_("Port"), "tls": N_("Encryption"), "username": N_("User name"),
    "password": N_("Password"), "folder": N_("Folder"), "done_folder": N_("Folder for processed messages"),
    "owner": N_("Owner"), "remember": N_("Remember the sender"), "url": N_("URL"), "events": N_("Events"),
    "title": N_("Title"), "locale": N_("Language"),
}

# The public fault form's fields that no other ticket field names (`ReportForm.field_labels`).
REPORT_FORM = {"school_number": N_("School number"), "device_serial": N_("Serial number"), "room": N_("Room"),
               "name": N_("Name")}
