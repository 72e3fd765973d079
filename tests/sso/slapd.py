"""A throw-away OpenLDAP server (Debian's slapd) with an Active-Directory-like tree, for the LDAP tests.

The server is configured by a generated slapd.conf, loaded with `slapadd` and started on loopback
ports: plain LDAP (StartTLS offered) and LDAPS, with a certificate from a throw-away CA. The tree
looks like a county administration's AD: OU=Users with `user` entries (sAMAccountName,
userAccountControl), OU=Groups with `group` entries whose `member` attributes list the users, and a
service account that may read the directory (anonymous callers may not).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from schoolit.probes.simulators import stop_process
from tests.sso.certs import Certificates, make_certificates
from tests.support import free_port

BASE = "DC=kreis,DC=test"
ROOT_DN = f"CN=admin,{BASE}"
ROOT_PASSWORD = "root-secret-for-tests"
SERVICE_DN = f"CN=svc-schoolit,OU=Service,{BASE}"
SERVICE_PASSWORD = "service-secret-for-tests"
USERS = f"OU=Users,{BASE}"
GROUPS = f"OU=Groups,{BASE}"
SUPPORT_GROUP = f"CN=Schul-IT-Support,{GROUPS}"
AUTHORITY_GROUP = f"CN=Schulamt,{GROUPS}"
PASSWORD = "Directory-Passwort-2026"
NORMAL_ACCOUNT, DISABLED_ACCOUNT = 512, 514  # AD's userAccountControl: bit 2 (ACCOUNTDISABLE)

# The few AD attributes and classes the tree needs, with AD's own OIDs (Debian's msuser.schema has
# them too, but without matching rules, so a filter on sAMAccountName could never match).
AD_SCHEMA = """
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.750 NAME 'groupType'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.2.840.113556.1.5.9 NAME 'user' SUP inetOrgPerson STRUCTURAL
  MAY ( sAMAccountName $ userAccountControl ) )
objectclass ( 1.2.840.113556.1.5.8 NAME 'group' SUP top STRUCTURAL
  MUST cn MAY ( member $ groupType $ description ) )
"""

CONFIG = """
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include {dir}/ad.schema
pidfile {dir}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile {ca}
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}
database mdb
maxsize 16777216
suffix "{base}"
rootdn "{root}"
rootpw {root_password}
directory {dir}/db
index objectClass,member,sAMAccountName eq
access to attrs=userPassword by anonymous auth by self auth by * none
access to * by users read by * none
"""


@dataclass(frozen=True)
class Person:
    login: str
    name: str
    mail: str
    groups: tuple[str, ...] = ()
    account_control: int = NORMAL_ACCOUNT

    @property
    def dn(self) -> str:
        return f"CN={self.name},{USERS}"


PEOPLE = (
    Person("sabine", "Sabine Support", "sabine.support@kreis.test.example", (SUPPORT_GROUP,)),
    Person("anna", "Anna Amt", "anna.amt@kreis.test.example", (AUTHORITY_GROUP,)),
    Person("dieter", "Dieter Deaktiviert", "dieter@kreis.test.example", (SUPPORT_GROUP,), DISABLED_ACCOUNT),
    Person("norbert", "Norbert Niemand", "norbert@kreis.test.example"),
    Person("gustav", "Gustav Gruppenwechsel", "gustav@kreis.test.example", (SUPPORT_GROUP,)),
    Person("o*tto(", "Otto Sonderzeichen", "otto@kreis.test.example", (SUPPORT_GROUP,)),
)


def _ldif() -> str:
    entries = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: kreis\no: Kreisverwaltung Test\n",
        f"dn: OU=Users,{BASE}\nobjectClass: organizationalUnit\nou: Users\n",
        f"dn: OU=Groups,{BASE}\nobjectClass: organizationalUnit\nou: Groups\n",
        f"dn: OU=Service,{BASE}\nobjectClass: organizationalUnit\nou: Service\n",
        f"dn: {SERVICE_DN}\nobjectClass: user\ncn: svc-schoolit\nsn: schoolit\nsAMAccountName: svc-schoolit\n"
        f"userPassword: {SERVICE_PASSWORD}\nuserAccountControl: {NORMAL_ACCOUNT}\n",
    ]
    for person in PEOPLE:
        entries.append(
            f"dn: {person.dn}\nobjectClass: user\ncn: {person.name}\nsn: {person.name.split()[-1]}\n"
            f"displayName: {person.name}\nsAMAccountName: {person.login}\nmail: {person.mail}\n"
            f"userPassword: {PASSWORD}\nuserAccountControl: {person.account_control}\n")
    for group in (SUPPORT_GROUP, AUTHORITY_GROUP):
        members = "".join(f"member: {p.dn}\n" for p in PEOPLE if group in p.groups)
        entries.append(f"dn: {group}\nobjectClass: group\ncn: {group.split(',')[0][3:]}\ngroupType: -2147483646\n"
                       f"{members}")
    return "\n".join(entries)


@dataclass(frozen=True)
class Directory:
    ldap_url: str  # plain LDAP; StartTLS is offered
    ldaps_url: str
    certificates: Certificates


def _wait_for(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"slapd exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("slapd did not listen within 20 s")


@contextmanager
def running_directory(directory: Path) -> Iterator[Directory]:
    """slapd with the test tree on two free loopback ports; stopped and deleted afterwards."""
    slapd, slapadd = shutil.which("slapd") or "/usr/sbin/slapd", shutil.which("slapadd") or "/usr/sbin/slapadd"
    certificates = make_certificates(directory / "tls")
    (directory / "db").mkdir(parents=True)
    (directory / "ad.schema").write_text(AD_SCHEMA)
    conf = directory / "slapd.conf"
    conf.write_text(CONFIG.format(dir=directory, ca=certificates.ca_file, cert=certificates.cert_file,
                                  key=certificates.key_file, base=BASE, root=ROOT_DN, root_password=ROOT_PASSWORD))
    (directory / "tree.ldif").write_text(_ldif())
    subprocess.run([slapadd, "-f", str(conf), "-l", str(directory / "tree.ldif")], check=True, capture_output=True,
                   timeout=60)
    port, tls_port = free_port(), free_port()
    log = directory / "slapd.log"
    with open(log, "wb") as output:
        proc = subprocess.Popen([slapd, "-f", str(conf), "-d", "0",
                                 "-h", f"ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tls_port}/"],
                                stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_for(port, proc, log)
        _wait_for(tls_port, proc, log)
        yield Directory(f"ldap://127.0.0.1:{port}", f"ldaps://127.0.0.1:{tls_port}", certificates)
    finally:
        stop_process(proc)
