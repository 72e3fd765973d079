"""Piccolo app of the accounts domain."""

import os

from piccolo.conf.apps import AppConfig

from schoolit.accounts.sso.tables import SignInMapping, SignInProvider
from schoolit.accounts.tables import (
    ApiToken,
    Arrangement,
    ArrangementMember,
    AuditEvent,
    County,
    LoginFailure,
    PasswordReset,
    Probe,
    RecoveryCode,
    User,
    WebSession,
)
from schoolit.jobs import JobRun

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "piccolo_migrations"),
    table_classes=[
        County, Arrangement, ArrangementMember, User, Probe, ApiToken, WebSession, LoginFailure, AuditEvent,
        SignInProvider, SignInMapping,
        JobRun,  # the scheduler's table (schoolit.jobs, a kernel module without an app of its own)
        RecoveryCode, PasswordReset,
    ],
    migration_dependencies=[],
    commands=[],
)
