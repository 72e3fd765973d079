"""Piccolo app of the tickets domain."""

import os

from piccolo.conf.apps import AppConfig

from schoolit.tickets.tables import (
    BusinessCalendar,
    Holiday,
    InboundMail,
    Mailbox,
    MailSender,
    NotificationDigestItem,
    NotificationEvent,
    NotificationProfile,
    OutboxMail,
    ReportAttempt,
    SavedView,
    SupportPolicy,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketCounter,
    TicketEvent,
    TicketPresence,
    TimeEntry,
    Webhook,
    WebhookDelivery,
)

APP_CONFIG = AppConfig(
    app_name="tickets",
    migrations_folder_path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "piccolo_migrations"),
    table_classes=[TicketCategory, TicketCounter, Ticket, TicketEvent, TicketAttachment, TimeEntry, BusinessCalendar,
                   Holiday, SupportPolicy, SavedView, TicketPresence, OutboxMail, ReportAttempt,
                   NotificationEvent, NotificationProfile, NotificationDigestItem, Webhook, WebhookDelivery,
                   Mailbox, InboundMail, MailSender],
    migration_dependencies=["schoolit.inventory.piccolo_app"],
    commands=[],
)
