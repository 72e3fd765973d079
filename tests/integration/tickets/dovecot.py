"""A throw-away IMAP server (Debian's dovecot-imapd) for the inbound mail tests.

A generated dovecot.conf in a temporary directory: a passwd-file user, a Maildir store under the same
directory, plain IMAP (STARTTLS offered) and IMAPS on free loopback ports with a certificate from a
throw-away CA. Run as root, dovecot keeps the mail as `nobody` and logs in as its own Debian users
(dovenull, dovecot); run as anyone else, everything is that user. Test mail goes in with IMAP APPEND.
"""

from __future__ import annotations

import getpass
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from schoolit.probes.simulators import stop_process
from tests.sso.certs import Certificates, make_certificates
from tests.support import free_port

USER = "support@kreis.test.example"
PASSWORD = "Imap-Passwort-2026"

CONFIG = """
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = schoolit-test-{port}
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = 1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/home/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Erledigt {{
    auto = create
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    user = {internal_user}
  }}
  unix_listener stats-writer {{
    user = {internal_user}
  }}
}}
"""


@dataclass(frozen=True)
class Imap:
    port: int  # plain IMAP, STARTTLS offered
    tls_port: int  # IMAPS
    certificates: Certificates
    user: str = USER
    password: str = PASSWORD


def _wait_for(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"dovecot exited with {proc.returncode}: {tail}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"dovecot did not answer within 20 s: {log.read_text()[-2000:] if log.exists() else ''}")


@contextmanager
def running_imap() -> Iterator[Imap]:
    """dovecot with one user on two free loopback ports; stopped and its directory deleted afterwards.

    The directory is a fresh one under the system's temporary directory, readable by dovecot's own
    users (pytest's temporary directories are private to the user running the tests)."""
    directory = Path(tempfile.mkdtemp(prefix="schoolit-dovecot-"))
    directory.chmod(0o755)
    try:
        with _dovecot(directory) as imap:
            yield imap
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def _dovecot(directory: Path) -> Iterator[Imap]:
    dovecot = shutil.which("dovecot") or "/usr/sbin/dovecot"
    certificates = make_certificates(directory / "tls")
    if os.geteuid() == 0:
        mail_user = pwd.getpwnam("nobody")
        login_user, internal_user, internal_group = "dovenull", "dovecot", "dovecot"
    else:
        mail_user = pwd.getpwuid(os.getuid())
        login_user = internal_user = getpass.getuser()
        internal_group = os.getgid().__str__()
    home = directory / "home" / USER
    home.mkdir(parents=True)
    for path in (directory / "home", home):
        os.chown(path, mail_user.pw_uid, mail_user.pw_gid)
    (directory / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    (directory / "passwd").chmod(0o644)
    port, tls_port = free_port(), free_port()
    conf = directory / "dovecot.conf"
    conf.write_text(CONFIG.format(dir=directory, port=port, tls_port=tls_port, cert=certificates.cert_file,
                                  key=certificates.key_file, uid=mail_user.pw_uid, gid=mail_user.pw_gid,
                                  login_user=login_user, internal_user=internal_user,
                                  internal_group=internal_group))
    log = directory / "dovecot.log"
    proc = subprocess.Popen([dovecot, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        _wait_for(port, proc, log)
        _wait_for_tls(tls_port, proc, log)
        yield Imap(port, tls_port, certificates)
    finally:
        stop_process(proc)


def _wait_for_tls(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dovecot exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("dovecot's IMAPS port did not open within 20 s")
