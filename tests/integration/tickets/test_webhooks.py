"""Webhooks: a receiver on loopback checks the HMAC-SHA256 signature of each post and answers 500 the
first time, 200 after; the delivery is retried with back-off, the admin page shows both outcomes, the
secret is stored encrypted and shown once."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from schoolit.accounts.scope import Scope
from schoolit.sql import fetch
from schoolit.tickets import notifications, services, webhooks
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.tickets.test_tickets_api import _scope, new_ticket
from tests.integration.world import World
from tests.support import free_port


@dataclass
class Receiver:
    """What a chat bridge would do: check the signature, fail once, then accept."""

    secret: str = ""
    answers: list[int] = field(default_factory=lambda: [500])
    posts: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(state.secret.encode(), body, hashlib.sha256).hexdigest()
            valid = hmac.compare_digest(expected, self.headers.get("X-Schoolit-Signature", ""))
            status = (state.answers.pop(0) if state.answers else 200) if valid else 401
            state.posts.append({"body": json.loads(body), "valid": valid, "status": status,
                                "event": self.headers["X-Schoolit-Event"],
                                "delivery": self.headers["X-Schoolit-Delivery"]})
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"try again")

        def log_message(self, *args: Any) -> None:  # keep the test output quiet
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{port}/hooks/schoolit"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_signed_post_retried_after_a_500(client: httpx.AsyncClient, world: World,
                                               receiver: Receiver) -> None:
    admin = Scope.system("test")
    await notifications.dispatch_all()  # the world's own events, from before the webhook
    hook, secret = await webhooks.create_webhook(admin, name="Teams", url=receiver.url,
                                                 events=["ticket_created", "status_changed"])
    receiver.secret = secret
    stored = await fetch("SELECT secret FROM webhook WHERE id = {}", hook["id"])
    assert secret not in stored[0]["secret"]  # encrypted at rest

    created = (await new_ticket(client, world, "school_contact", "kib"))["ticket"]
    await notifications.dispatch_all()
    queued = await fetch("SELECT id, kind FROM webhook_delivery WHERE webhook_id = {}", hook["id"])
    assert [q["kind"] for q in queued] == ["ticket_created"]

    now = dt.datetime.now(dt.UTC)
    assert await webhooks.deliver_due(now) == (0, 1)  # the receiver answers 500
    failed = (await fetch("SELECT attempts, last_status, last_error, next_attempt_at, delivered_at "
                          "FROM webhook_delivery WHERE id = {}", queued[0]["id"]))[0]
    assert failed["attempts"] == 1 and failed["last_status"] == 500 and failed["delivered_at"] is None
    assert failed["next_attempt_at"] == now + dt.timedelta(seconds=30)
    assert await webhooks.deliver_due(now + dt.timedelta(seconds=10)) == (0, 0)  # not due yet
    assert await webhooks.deliver_due(now + dt.timedelta(seconds=31)) == (1, 0)
    assert await webhooks.deliver_due(now + dt.timedelta(hours=1)) == (0, 0)  # delivered once

    assert [p["valid"] for p in receiver.posts] == [True, True]
    assert [p["status"] for p in receiver.posts] == [500, 200]
    assert receiver.posts[0]["delivery"] == receiver.posts[1]["delivery"] == str(queued[0]["id"])
    body = receiver.posts[1]["body"]
    assert body["event"] == "ticket_created" and receiver.posts[1]["event"] == "ticket_created"
    assert body["ticket"]["number"] == created["number"]
    assert body["ticket"]["url"].endswith(f"/tickets/{created['id']}")
    assert "reporter_email" not in json.dumps(body)

    # Only the events it asked for: the status change is posted, the assignment that comes with it is not.
    await services.change_status(await _scope(world, "verbund_supporter"), created["id"], "in_progress")
    await notifications.dispatch_all()
    kinds = [q["kind"] for q in await fetch("SELECT kind FROM webhook_delivery WHERE webhook_id = {} ORDER BY id",
                                            hook["id"])]
    assert kinds == ["ticket_created", "status_changed"]
    assert await webhooks.deliver_due(now + dt.timedelta(hours=2)) == (1, 0)
    assert receiver.posts[-1]["body"]["data"] == {"from": "new", "to": "in_progress"}


async def test_a_wrong_secret_is_refused_and_given_up_after_the_last_attempt(
        world: World, receiver: Receiver) -> None:
    hook, _secret = await webhooks.create_webhook(Scope.system("test"), name="Matrix", url=receiver.url,
                                                  events=["school_offline"])
    receiver.secret = "not the secret"
    await fetch("INSERT INTO webhook_delivery (webhook_id, kind, payload) VALUES ({}, 'school_offline', {})",
                hook["id"], '{"event": "school_offline"}')
    moment = dt.datetime.now(dt.UTC)
    for _attempt in range(webhooks.MAX_ATTEMPTS):
        moment += dt.timedelta(hours=2)
        assert await webhooks.deliver_due(moment) == (0, 1)
    assert await webhooks.deliver_due(moment + dt.timedelta(days=30)) == (0, 0)
    row = (await fetch("SELECT attempts, last_status, last_error FROM webhook_delivery WHERE webhook_id = {}",
                       hook["id"]))[0]
    assert row["attempts"] == webhooks.MAX_ATTEMPTS and row["last_status"] == 401
    assert row["last_error"].startswith("given up: HTTP 401")
    assert all(not p["valid"] for p in receiver.posts)


async def test_admin_page(client: httpx.AsyncClient, world: World, receiver: Receiver) -> None:
    await login(client, "admin@test.example")
    page = await client.get("/admin/webhooks")
    assert page.status_code == 200 and "Matrix-Brücke" in page.text and "Noch keine Zustellungen." in page.text
    token = await csrf_token(client, "/admin/webhooks")
    bad = await client.post("/admin/webhooks", data={"_csrf_token": token, "name": "", "url": "ftp://x"})
    assert bad.status_code == 422
    for message in ("muss 1 bis 120 Zeichen lang sein", "muss eine http- oder https-Adresse sein",
                    "mindestens ein Ereignis wählen"):
        assert message in bad.text
    created = await client.post("/admin/webhooks", data={"_csrf_token": token, "name": "Rocket.Chat",
                                                         "url": receiver.url, "events": "school_offline"})
    assert created.status_code == 201
    secret = created.text.split('data-testid="webhook-secret">', 1)[1].split("<", 1)[0]
    assert secret.startswith("whsec_")
    assert secret not in (await client.get("/admin/webhooks")).text  # shown once
    hook_id = (await fetch("SELECT id FROM webhook WHERE name = 'Rocket.Chat'"))[0]["id"]
    await fetch("INSERT INTO webhook_delivery (webhook_id, kind, payload, attempts, last_status, last_error) "
                "VALUES ({}, 'school_offline', {}, 2, 500, 'HTTP 500: try again')", hook_id, "{}")
    listed = await client.get("/admin/webhooks")
    assert "fehlgeschlagen" in listed.text and "HTTP 500: try again" in listed.text
    off = await client.post(f"/admin/webhooks/{hook_id}/active", data={"_csrf_token": token, "active": "no"})
    assert off.status_code == 303
    assert (await fetch("SELECT active FROM webhook WHERE id = {}", hook_id))[0]["active"] is False
    audit = await fetch("SELECT action FROM audit_log WHERE object_type = 'webhook' ORDER BY id")
    assert [a["action"] for a in audit][-2:] == ["webhook.create", "webhook.update"]

    await login(client, "support@verbund.test.example")
    assert (await client.get("/admin/webhooks")).status_code == 403
