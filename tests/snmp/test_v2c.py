"""The v2c client's own machinery against real agents: request-ids, deadlines, retries, strays.

A relay (tests/snmp/relay.py) between the probe and a real agent loses, delays or reorders
datagrams the way a network can; the agents themselves are Net-SNMP and snmpsim.
"""

from __future__ import annotations

import asyncio
import socket
import time

import msgspec
import pytest
from pyasn1.codec.ber import decoder, encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import namedtype, univ
from pyasn1_fasder import decode_der
from pysnmp.proto import api, rfc1901, rfc1902, rfc1905

from schoolit.probes.agent.snmp import SnmpPoller
from schoolit.probes.agent.v2c import (
    FIRST_REQUEST_ID,
    LAST_REQUEST_ID,
    RESPONSE_SPEC,
    RequestTemplate,
    SnmpRequestError,
    V2cClient,
    decode,
    fast_answer,
    fast_get_values,
    request_template,
    same_value,
)
from schoolit.probes.simulators import LOOPBACK, RunningAgent

from .conftest import V3_USER, v2c, v3
from .relay import udp_relay

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
SYS_NAMES = {  # sysName.0 of each recording in tests/snmp/recordings (community = file name)
    "aruba-instant": "ap-gym-a-og1",
    "cisco-aireos": "wlc-kreis",
    "generic": "ap-generic",
    "lancom": "lancom-lw-600-igs",
    "unifi": "u6-lr-bbs-raum-114",
    "uplink-router": "router-bbs-kirchheimbolanden",
    "router-32bit": "router-pppoe-alt",
}


@pytest.mark.parametrize("request_id", [FIRST_REQUEST_ID, 0x1234_5678, LAST_REQUEST_ID])
@pytest.mark.parametrize("max_repetitions", [None, 20])
def test_request_template_carries_any_request_id(request_id: int, max_repetitions: int | None) -> None:
    oids = ["1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.2.2.1.8"]
    template = request_template("schul-netz", oids, max_repetitions)
    message, rest = decoder.decode(template.message(request_id), asn1Spec=V2C.Message())
    assert not rest
    pdu = V2C.apiMessage.get_pdu(message)
    assert int(message[0]) == 1 and bytes(V2C.apiMessage.get_community(message)) == b"schul-netz"
    assert int(V2C.apiPDU.get_request_id(pdu)) == request_id
    assert [str(name) for name, _ in V2C.apiPDU.get_varbinds(pdu)] == oids
    if max_repetitions is None:
        assert pdu.tagSet == V2C.GetRequestPDU.tagSet
    else:
        assert pdu.tagSet == V2C.GetBulkRequestPDU.tagSet
        assert int(V2C.apiBulkPDU.get_max_repetitions(pdu)) == max_repetitions


ALL_TYPES = [  # every SNMP value type, by pysnmp's API
    V2C.Integer(-5), V2C.OctetString(b"raum-114"), V2C.ObjectIdentifier("1.3.6.1.4.1.2356.11.8.2"),
    V2C.IpAddress("10.20.30.40"), V2C.Counter32(4294967295), V2C.Gauge32(1000), V2C.TimeTicks(4294967000),
    V2C.Opaque(b"\x9f\x78\x04"), V2C.Counter64(18446744073709551000), V2C.NoSuchObject(""),
    V2C.NoSuchInstance(""), V2C.EndOfMibView(""), V2C.Null(""),
]  # fmt: skip


def test_answers_decode_to_the_same_values_as_with_pysnmps_full_message_spec() -> None:
    # RESPONSE_SPEC flattens the value CHOICE and keeps names as bytes; every SNMP value type must
    # still come out as pysnmp's own type with the same value. The answer is built by pysnmp's API.
    values = ALL_TYPES
    oids = [f"1.3.6.1.4.1.99999.{n}.0" for n in range(len(values))]
    template = request_template("public", oids)
    request, _ = decoder.decode(template.message(FIRST_REQUEST_ID), asn1Spec=V2C.Message())
    answer = V2C.apiMessage.get_response(request)
    V2C.apiPDU.set_varbinds(V2C.apiMessage.get_pdu(answer), list(zip(oids, values, strict=True)))
    encoded = encoder.encode(answer)

    full, _ = decoder.decode(encoded, asn1Spec=V2C.Message())
    narrow, _ = decoder.decode(encoded, asn1Spec=RESPONSE_SPEC)
    expected = V2C.apiPDU.get_varbinds(V2C.apiMessage.get_pdu(full))
    got = template.var_binds(narrow)
    assert [str(name) for name, _ in got] == [str(name) for name, _ in expected] == oids
    for (_, mine), (_, theirs) in zip(got, expected, strict=True):
        assert type(mine) is type(theirs) and mine == theirs

    bulk = request_template("public", oids, max_repetitions=5)  # a GETBULK answer's names are decoded
    assert [str(name) for name, _ in bulk.var_binds(narrow)] == oids
    other = request_template("public", list(reversed(oids)))
    with pytest.raises(SnmpRequestError, match="other OIDs"):
        other.var_binds(narrow)
    assert template.answered_by(narrow)
    assert not request_template("not-public", oids).answered_by(narrow)  # not an answer to that request


def encoded_answer(template: RequestTemplate, oids: list[str], values: list[object]) -> bytes:
    """An answer to `template`'s request carrying these var-binds, built and encoded by pysnmp/pyasn1."""
    request, _ = decoder.decode(template.message(FIRST_REQUEST_ID), asn1Spec=V2C.Message())
    answer = V2C.apiMessage.get_response(request)
    V2C.apiPDU.set_varbinds(V2C.apiMessage.get_pdu(answer), list(zip(oids, values, strict=True)))
    return bytes(encoder.encode(answer))


def test_answers_with_other_types_than_the_last_one_decode_as_well() -> None:
    # A GET's answers are decoded against the value types of the request's last answer; an answer
    # with other types (a counter gone missing, an extra or a missing var-bind) must still come out
    # exactly as pysnmp's full Message spec decodes it.
    oids = ["1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.31.1.1.1.6.1", "1.3.6.1.2.1.2.2.1.8.1"]
    template = request_template("public", oids)
    usual = [V2C.TimeTicks(4294967000), V2C.Counter64(18446744073709551000), V2C.Integer(1)]
    gone = [V2C.TimeTicks(12), V2C.NoSuchInstance(""), V2C.Integer(2)]
    answers = [
        encoded_answer(template, oids, usual),
        encoded_answer(template, oids, usual),
        encoded_answer(template, oids, gone),
        encoded_answer(template, oids, usual),
        encoded_answer(template, oids[:2], usual[:2]),
        encoded_answer(template, [*oids, oids[0]], [*usual, usual[0]]),
    ]
    for encoded in answers:
        expected = V2C.apiPDU.get_varbinds(V2C.apiMessage.get_pdu(decoder.decode(encoded, asn1Spec=V2C.Message())[0]))
        narrow, _ = decoder.decode(encoded, asn1Spec=RESPONSE_SPEC)
        if len(expected) != len(oids):
            with pytest.raises(SnmpRequestError, match="other OIDs"):
                template.var_binds(narrow)
            continue
        got = template.var_binds(narrow)
        assert template.learnt_spec is not None  # the next answer is tried against these types first
        assert [(str(name), type(value), value) for name, value in got] == [
            (str(name), type(value), value) for name, value in expected
        ]


def long_form(der: bytes) -> bytes:
    """The same message with its outer length in a longer form than needed: BER, but not DER."""
    octets = der[1] & 0x7F if der[1] & 0x80 else 0  # length octets after the first (0: short form)
    length = der[2 : 2 + octets] if octets else der[1:2]
    return der[:1] + bytes([0x80 | (len(length) + 1)]) + b"\x00" + length + der[2 + octets :]


def test_der_answers_decode_natively_to_what_pyasn1_gives_and_ber_falls_back_to_pyasn1() -> None:
    # `decode` takes pyasn1-fasder's native DER decoder first; its objects must be pysnmp's very types
    # and values, for every value type, whether the var-binds are decoded against the CHOICE or the
    # learnt exact types. BER that is not DER (a long-form length; SNMP forbids indefinite lengths,
    # RFC 3417 section 8) is left to pyasn1.
    oids = [f"1.3.6.1.4.1.99999.{n}.0" for n in range(len(ALL_TYPES))]
    template = request_template("public", oids)
    der = encoded_answer(template, oids, ALL_TYPES)
    for encoded in (der, long_form(der)):
        if encoded != der:
            with pytest.raises(PyAsn1Error):
                decode_der(encoded, asn1Spec=RESPONSE_SPEC)  # not DER: pyasn1 decides
        expected, _ = decoder.decode(encoded, asn1Spec=RESPONSE_SPEC)
        message, rest = decode(encoded, RESPONSE_SPEC)
        assert not rest and message == expected
        assert int(V2C.apiPDU.get_request_id(message[2])) == FIRST_REQUEST_ID
        for _ in range(2):  # against the CHOICE, then against the types learnt from that
            got = template.var_binds(message)
            assert [(type(v), v) for _, v in got] == [(type(v), v) for v in ALL_TYPES]
        assert template.learnt_spec is not None
    with pytest.raises(PyAsn1Error):
        decode(b"\x30\x05\x02\x01", RESPONSE_SPEC)  # garbage: neither DER nor BER


def test_undecoded_components_compare_by_value_not_only_by_bytes() -> None:
    name = rfc1902.ObjectName("1.3.6.1.2.1.1.3.0")
    minimal = bytes(encoder.encode(name))  # 06 08 2b 06 01 02 01 01 03 00
    long_form = minimal[:1] + b"\x81" + minimal[1:]  # the same OID with a long-form length, as BER allows
    assert same_value(univ.Any(minimal), minimal, rfc1902.ObjectName())
    assert same_value(univ.Any(long_form), minimal, rfc1902.ObjectName())
    other = bytes(encoder.encode(rfc1902.ObjectName("1.3.6.1.2.1.1.5.0")))
    assert not same_value(univ.Any(other), minimal, rfc1902.ObjectName())
    assert not same_value(univ.Any(b"\x04\x02hi"), minimal, rfc1902.ObjectName())  # not an OID at all


async def test_answers_arriving_in_reverse_order_reach_their_own_requests(snmpsim: RunningAgent) -> None:
    # One address, six communities (six recordings), answers passed on newest first: only the
    # request-id can tell which answer is whose.
    communities = list(SYS_NAMES)
    async with udp_relay(snmpsim.ports[0], reverse=len(communities)) as relay:
        targets = [
            v2c(relay.port, community=community, asset_id=n, asset_kind="uplink", if_index=1)
            for n, community in enumerate(communities)
        ]
        async with SnmpPoller(concurrency=len(targets), timeout=3.0, retries=0) as poller:
            results = await poller.poll_all(targets)
            ignored = poller.ignored_datagrams
    assert [result.sys_name for result in results] == [SYS_NAMES[community] for community in communities]
    assert results[communities.index("uplink-router")].sample.uptime_ticks == 4294967000
    assert ignored == 0


async def test_a_late_answer_is_ignored_even_with_a_new_request_waiting(snmpd: RunningAgent) -> None:
    # Every answer takes 0.5 s, the timeout is 0.3 s: the first request gives up, the second is in
    # flight to the same address when the first one's answer arrives. Matching by address alone would
    # hand it to the second request.
    async with udp_relay(snmpd.ports[4], delay=0.5) as relay, SnmpPoller(timeout=0.3, retries=0) as poller:
        first = await poller.poll(v2c(relay.port, asset_id=1))
        second = await poller.poll(v2c(relay.port, asset_id=2))
        await relay.wait_for_answers(2)
        # Straight to the agent on the same client: its answer queues behind the two late ones.
        after = await poller.poll(v2c(snmpd.ports[4], asset_id=3))
        ignored = poller.ignored_datagrams
    assert not first.sample.reachable and "timeout" in (first.sample.error or "")
    assert not second.sample.reachable and "timeout" in (second.sample.error or "")
    assert ignored == 2
    assert after.sample.reachable and after.sys_name == socket.gethostname()


class BrokenResponse(rfc1905.ResponsePDU):
    """A Response PDU whose var-bind list is a list of INTEGERs: valid BER, no var-binds."""

    componentType = namedtype.NamedTypes(
        *rfc1905.PDU.componentType.namedTypes[:3],
        namedtype.NamedType("variable-bindings", univ.SequenceOf(componentType=univ.Integer())),
    )


class BrokenAnswer(rfc1901.Message):
    componentType = namedtype.NamedTypes(
        *rfc1901.Message.componentType.namedTypes[:2], namedtype.NamedType("data", BrokenResponse())
    )


# Var-bind lists on which pyasn1's decoder raises a plain Python error, not PyAsn1Error (found by
# fuzzing): an OID whose length is given in eight octets, and a var-bind of indefinite length.
GARBAGE_LISTS = [bytes.fromhex("301930170688f806010201010500040b61702d7261756d2d313134"),
                 bytes.fromhex("3019308006082b060102e60128010500040b61702d7261756d2d313134")]


def test_garbage_is_always_a_decoding_error() -> None:
    for garbage in GARBAGE_LISTS:
        with pytest.raises(PyAsn1Error):  # what the client counts as an undecodable datagram
            request_template("public", ["1.3.6.1.2.1.1.5.0"]).var_binds(
                [None, None, [None, None, None, univ.Any(garbage)]])


async def test_an_answer_with_a_broken_var_bind_list_is_ignored_and_the_good_one_taken() -> None:
    # The var-bind list is decoded only after the request-id has matched: an answer whose list is not
    # a var-bind list must be dropped like any undecodable datagram, not end the request — also when
    # pyasn1 fails on it with a plain IndexError or OverflowError.
    oids = ["1.3.6.1.2.1.1.5.0"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as device:
        device.bind((LOOPBACK, 0))
        device.setblocking(False)
        loop = asyncio.get_running_loop()
        async with V2cClient(timeout=3.0, retries=0) as client:
            polling = asyncio.ensure_future(client.get(device.getsockname(), "public", oids))
            data, probe = await loop.sock_recvfrom(device, 2048)
            request, _ = decoder.decode(data, asn1Spec=V2C.Message())
            broken = BrokenAnswer()
            broken["version"], broken["community"] = 1, "public"
            broken["data"]["request-id"] = V2C.apiPDU.get_request_id(V2C.apiMessage.get_pdu(request))
            broken["data"]["error-status"], broken["data"]["error-index"] = 0, 0
            broken["data"]["variable-bindings"].extend([1, 2])
            await loop.sock_sendto(device, encoder.encode(broken), probe)
            for garbage in GARBAGE_LISTS:
                answer = RESPONSE_SPEC.clone()
                answer["version"] = univ.Any(encoder.encode(univ.Integer(1)))
                answer["community"] = univ.Any(encoder.encode(univ.OctetString("public")))
                answer["data"]["request-id"] = broken["data"]["request-id"]
                answer["data"]["error-status"], answer["data"]["error-index"] = 0, 0
                answer["data"]["variable-bindings"] = univ.Any(garbage)
                await loop.sock_sendto(device, encoder.encode(answer), probe)
            good = V2C.apiMessage.get_response(request)
            V2C.apiPDU.set_varbinds(V2C.apiMessage.get_pdu(good), [(oids[0], V2C.OctetString(b"ap-raum-114"))])
            await loop.sock_sendto(device, encoder.encode(good), probe)
            ((name, value),) = await polling
            assert client.ignored == 1 + len(GARBAGE_LISTS)
    assert str(name) == oids[0] and bytes(value) == b"ap-raum-114"


async def test_a_lost_request_is_sent_again_with_the_same_bytes(snmpd: RunningAgent) -> None:
    timeout = 0.3
    async with udp_relay(snmpd.ports[5], drop_first=True) as relay, SnmpPoller(timeout=timeout, retries=1) as poller:
        started = time.monotonic()
        result = await poller.poll(v2c(relay.port, asset_kind="uplink", if_index=1))
        elapsed = time.monotonic() - started
        resent = list(relay.requests)
        assert poller.resent_requests == 1
    assert result.sample.reachable and result.sample.oper_status == 1
    assert timeout <= elapsed < timeout + 1.0  # answered after the resend, not before
    assert len(resent) == 2 and resent[0] == resent[1]

    async with udp_relay(snmpd.ports[5], drop_first=True) as relay, SnmpPoller(timeout=timeout, retries=0) as poller:
        unlucky = await poller.poll(v2c(relay.port))
    assert not unlucky.sample.reachable and "timeout" in (unlucky.sample.error or "")


async def test_each_request_gives_up_after_its_own_timeouts_whatever_else_is_in_flight() -> None:
    # Requests to a device that swallows them, sent 50 ms apart: one timer serves all deadlines,
    # and a resend must not push back the deadlines of the requests sent after it.
    timeout, retries, stagger = 0.5, 1, 0.05
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as black_hole:
        black_hole.bind((LOOPBACK, 0))
        async with SnmpPoller(timeout=timeout, retries=retries) as poller:

            async def one(n: int) -> float:
                await asyncio.sleep(n * stagger)
                started = time.monotonic()
                result = await poller.poll(v2c(black_hole.getsockname()[1], asset_id=n))
                assert not result.sample.reachable and "timeout" in (result.sample.error or "")
                return time.monotonic() - started

            elapsed = await asyncio.gather(*(one(n) for n in range(10)))
    budget = timeout * (retries + 1)
    # The lower bound is the behaviour; the upper one leaves room for a busy machine.
    assert all(budget * 0.9 < took < budget + 1.0 for took in elapsed), elapsed


async def test_wrong_community_gets_no_answer_and_times_out(snmpd: RunningAgent) -> None:
    timeout, retries = 0.3, 1
    async with SnmpPoller(timeout=timeout, retries=retries) as poller:
        started = time.monotonic()
        result = await poller.poll(v2c(snmpd.ports[6], community="not-public"))
        elapsed = time.monotonic() - started
    assert not result.sample.reachable
    assert result.sample.error and "timeout" in result.sample.error.lower()
    assert timeout * (retries + 1) * 0.9 < elapsed < timeout * (retries + 1) + 1.0


async def test_v2c_and_v3_polls_of_one_device_give_the_same_result(snmpd: RunningAgent) -> None:
    port = snmpd.ports[7]
    async with SnmpPoller() as poller:
        by_v2c, by_v3 = await poller.poll_all(
            [v2c(port, asset_kind="uplink", if_index=1), v3(port, V3_USER, asset_kind="uplink", if_index=1)]
        )
        ap_v2c, ap_v3 = await poller.poll_all([v2c(port), v3(port, V3_USER)])  # generic profile: a walk
    # Counters and uptime move between the two polls; everything else must be equal.
    moving = {"polled_at", "response_ms", "uptime_ticks", "in_octets", "out_octets"}
    for one, other in ((by_v2c, by_v3), (ap_v2c, ap_v3)):
        assert (one.sys_name, one.sys_object_id) == (other.sys_name, other.sys_object_id)
        first, second = (
            {name: value for name, value in msgspec.structs.asdict(result.sample).items() if name not in moving}
            for result in (one, other)
        )
        assert first == second
        assert one.sample.reachable and one.sample.error is None
    assert by_v2c.sample.oper_status == 1 and by_v2c.sample.in_octets is not None


async def test_client_used_outside_its_context_refuses(snmpd: RunningAgent) -> None:
    client = V2cClient(timeout=0.3, retries=0)
    with pytest.raises(RuntimeError, match="async with"):
        await client.get((LOOPBACK, snmpd.ports[0]), "public", ["1.3.6.1.2.1.1.3.0"])


def test_der_get_answers_are_read_without_the_decoder_into_the_same_objects() -> None:
    # The fast path of a GET answer must give exactly the objects the decoder gives (type and value)
    # for every value type, and leave everything it is not sure of to the decoder: BER that is not DER,
    # other names than asked for, an error status.
    oids = [f"1.3.6.1.4.1.99999.{n}.0" for n in range(len(ALL_TYPES))]
    template = request_template("public", oids)
    der = encoded_answer(template, oids, ALL_TYPES)
    header = fast_answer(der)
    assert header is not None
    request_id, version, community, error_status, at = header
    assert (request_id, error_status) == (FIRST_REQUEST_ID, 0)
    assert community == template.encoded_community and version == bytes(encoder.encode(V2C.Integer(1)))
    values = fast_get_values(der, at, template.encoded_names)
    assert values is not None
    expected = [value for _, value in template.var_binds(decode(der, RESPONSE_SPEC)[0])]
    assert [(type(v), v) for v in values] == [(type(v), v) for v in expected] == [(type(v), v) for v in ALL_TYPES]
    assert fast_answer(long_form(der)) is None  # BER, not DER: the decoder's
    assert fast_get_values(der, at, list(reversed(template.encoded_names))) is None  # other names
    assert fast_get_values(der, at, template.encoded_names[:-1]) is None  # more var-binds than asked
    sys_object_ids = ["1.3.6.1.4.1.8072.3.2.10", "0.0", "2.999.3", "1.3.6.1.4.1.4294967295.128.16383.16384"]
    for oid in sys_object_ids:
        answer = encoded_answer(template, oids[:1], [V2C.ObjectIdentifier(oid)])
        start = fast_answer(answer)
        assert start is not None
        (value,) = fast_get_values(answer, start[4], template.encoded_names[:1]) or [None]
        assert value == V2C.ObjectIdentifier(oid) and str(value) == oid
    failed = decoder.decode(der, asn1Spec=V2C.Message())[0]
    V2C.apiPDU.set_error_status(V2C.apiMessage.get_pdu(failed), 2)
    header = fast_answer(bytes(encoder.encode(failed)))
    assert header is not None and header[3] == 2  # an error status: not taken by the fast path
