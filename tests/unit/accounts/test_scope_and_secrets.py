"""Scope rules, audit redaction and password hashing, without a database."""

from __future__ import annotations

import pytest

from schoolit.accounts.audit import redact
from schoolit.accounts.choices import ActorKind, Role
from schoolit.accounts.scope import Actor, Scope
from schoolit.accounts.security import digest, generate_password, hash_password, new_token, verify_password
from schoolit.errors import Forbidden, NotFound
from schoolit.kernel.access import Permission
from schoolit.sql import compile_sql
from schoolit.tickets.tables import Ticket

SUPPORTER = Scope(role=Role.SUPPORTER, actor=Actor(ActorKind.USER, 7, "s@x"), county_ids=frozenset({1, 2, 3}))
SCHOOL = Scope(role=Role.SCHOOL, actor=Actor(ActorKind.TOKEN, 8, "t@x", 99), county_ids=frozenset({1}), school_id=10)


def test_scope_sees_its_counties_and_school_only() -> None:
    assert SUPPORTER.sees(2) and not SUPPORTER.sees(4)
    assert SCHOOL.sees(1) and SCHOOL.sees(1, school_id=10)
    assert not SCHOOL.sees(1, school_id=11)
    assert Scope.system().sees(12345)
    with pytest.raises(NotFound, match=r"^device not found$"):
        SCHOOL.check(1, school_id=11, missing="device not found")
    with pytest.raises(NotFound, match=r"^not found$"):
        SCHOOL.check(1, school_id=11)


def test_roles_and_permissions() -> None:
    assert SUPPORTER.can(Permission.TICKETS_WORK) and not SUPPORTER.can(Permission.USERS_MANAGE)
    with pytest.raises(Forbidden):
        SCHOOL.require(Permission.INVENTORY_WRITE)
    assert SCHOOL.actor.user_id == 8
    probe = Scope(role=Role.PROBE, actor=Actor(ActorKind.PROBE, 3, "probe:x", 5), county_ids=frozenset({1}))
    assert probe.actor.user_id is None and probe.can(Permission.PROBE_INGEST)
    assert not probe.can(Permission.INVENTORY_READ)


def test_one_scope_predicate_for_raw_sql_and_piccolo() -> None:
    def compiled(scope: Scope, county: str, school: str | None) -> tuple[str, list[object]]:
        return compile_sql("WHERE {}", [scope.where(county, school=school)])

    assert compiled(SUPPORTER, "s.county_id", "s.id") == ("WHERE s.county_id = ANY($1)", [[1, 2, 3]])
    assert compiled(SCHOOL, "d.county_id", "d.school_id") == (
        "WHERE (d.county_id = ANY($1)) AND (d.school_id = $2)", [[1], 10])
    assert compiled(SCHOOL, "c.id", None) == ("WHERE c.id = ANY($1)", [[1]])
    assert compiled(Scope.system(), "x", None) == ("WHERE TRUE", [])
    # The same predicate on a Piccolo query.
    query = SCHOOL.apply(Ticket.select(Ticket.id), Ticket.county_id, school_column=Ticket.school_id)
    assert str(query).endswith('WHERE ("ticket"."county_id" = ANY([1])) AND ("ticket"."school_id" = 10)')
    nobody = Scope(role=Role.AUTHORITY, actor=Actor(ActorKind.USER, 9), county_ids=frozenset())
    assert 'WHERE "ticket"."county_id" = ANY([])' in str(nobody.apply(Ticket.select(), Ticket.county_id,
                                                                      school_column=None))


def test_redact_hides_secrets_at_any_depth() -> None:
    data = {"email": "a@b", "password_hash": "$argon2id$...", "snmp": {"community": "public", "v3": [
        {"auth_key": "k1", "priv_key": "k2", "user": "monitor"}]}, "token": "", "api_token_id": 5}
    assert redact(data) == {"email": "a@b", "password_hash": "***", "snmp": {"community": "***", "v3": [
        {"auth_key": "***", "priv_key": "***", "user": "monitor"}]}, "token": "", "api_token_id": 5}


def test_password_hashes_are_argon2id_and_verify() -> None:
    hashed = hash_password("korrekt Pferd Batterie")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "korrekt Pferd Batterie")
    assert not verify_password(hashed, "falsch")
    assert not verify_password(None, "anything")  # unknown user: still runs a verification, still False
    assert not verify_password("not a hash", "x")


def test_tokens_and_generated_passwords() -> None:
    token, prefix, token_digest = new_token()
    assert token.startswith("sit_") and len(token) > 40 and token.startswith(prefix)
    assert token_digest == digest(token) and token not in token_digest
    assert new_token()[0] != token
    password = generate_password()
    assert len(password) == 23 and password.count("-") == 3
