"""Database helpers that need no server."""

from schoolit.db import redact_dsn


def test_redact_dsn_hides_password() -> None:
    assert redact_dsn("postgresql://schoolit:s3cret@db:5432/schoolit") == "postgresql://schoolit:***@db:5432/schoolit"
    assert redact_dsn("postgresql://postgres:@/postgres?host=/tmp/x") == "postgresql://postgres:***@/postgres?host=/tmp/x"
    assert redact_dsn("postgresql://db/schoolit") == "postgresql://db/schoolit"
