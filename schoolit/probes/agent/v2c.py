"""SNMP v2c through pysnmp's message API: one UDP socket, request-id matching, our own deadlines.

pysnmp's v3 architecture (engine, MIB-backed target tables, message processing models, USM) costs
about 5 ms CPU per target and poll, most of it in machinery a v2c GET does not need. For v2c the poller
therefore uses pysnmp's protocol API (`pysnmp.proto.api`, the "v1arch" level) directly:

- Requests are built with `api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]` and BER-encoded by pyasn1 once
  per distinct (PDU type, community, OIDs); every later request reuses those bytes. Request-ids are
  drawn from 0x00800000..0x7FFFFFFF, whose BER encoding is always four bytes, so a new id only replaces
  those four bytes. Where they sit is found by letting pyasn1 encode the message with the lowest and the
  highest id and comparing the two: requests are never written by hand.
- A GET's answer in DER (what agents send) is read without pyasn1's decoder (`fast_answer`,
  `fast_get_values`): the header and the names are compared byte for byte with what the request
  expects, and each value is made as the very object the decoder would give (its spec cloned with the
  value). That halves a sweep's CPU; anything it is not sure of goes the decoder's way below.
- Every request of the client goes out of ONE asyncio datagram endpoint; answers are decoded by
  pyasn1 and matched to their request by request-id and source address. Anything else (an answer
  after its request gave up, a stranger's datagram, garbage) is counted in `ignored` and dropped.
- Decoding by pyasn1 (everything the fast path leaves: GETBULK answers, BER that is not DER, error
  statuses, other names) is given as little to do as possible. An answer is
  first decoded against `RESPONSE_SPEC`: pysnmp's v2c `Message` narrowed to a Response PDU, with
  the version, the community and the var-bind list left as their BER bytes. The version and the
  community are compared with the request's (decoded and compared by value only when the bytes
  differ): an answer must carry our version and community. Once the request-id has named the
  request, the var-bind list is decoded with the names left as bytes (a GET's answer must name the
  asked OIDs; a GETBULK's names are decoded) and the values against the types of that request's
  previous answer (`RequestTemplate`: an exact sequence of types instead of the value CHOICE), or,
  when they do not fit, against the CHOICE flattened (same alternatives, same rfc1902 types).
  Against pysnmp's full `Message` this takes pyasn1 about half the time. Each decode goes to
  pyasn1-fasder first, a native DER decoder that builds the very same pyasn1 objects from the same
  specs in about 55 % of pyasn1's time; an answer that is BER but not DER falls back to pyasn1 (`decode`).
- Timeouts and retries are ours: all requests share one timeout, so their deadlines come due in the
  order they were set, and a FIFO queue with ONE timer handle serves them all (no sleeping task per
  request). A due request is sent again with the same request-id (an answer to either try is good)
  until its retries are spent, then fails with a timeout.
- The socket hears ICMP errors (`schoolit.probes.agent.udp`): a closed port fails its requests at once.

SNMPv3 stays on pysnmp's v3 architecture (`schoolit.probes.agent.snmpv3`); both paths give the poller the
same `(name, value)` pairs of pysnmp/pyasn1 objects.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import socket
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any, cast

from pyasn1.codec.ber import decoder, encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import namedtype, univ
from pyasn1_fasder import decode_der
from pysnmp.proto import api, rfc1901, rfc1902, rfc1905

from schoolit.probes.agent.udp import Address, IcmpErrors

_V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
_V2C_VERSION = 1  # the version field of an SNMP v2c message
# BER needs exactly four bytes for every request-id from 2^23 to 2^31 - 1 (smaller ones take fewer,
# larger ones a fifth for the sign), so one encoded message fits every id of this range.
FIRST_REQUEST_ID = 0x0080_0000
LAST_REQUEST_ID = 0x7FFF_FFFF
_ID_BYTES = 4

VarBinds = list[tuple[Any, Any]]


class SnmpRequestError(Exception):
    """The agent did not answer, or answered with an error status."""


class SnmpCredentialsRejected(SnmpRequestError):
    """The agent answered that it refuses the credentials (an SNMPv3 report: unknown user, wrong
    digest, unsupported security level) or denies access: a configuration fault, not an outage."""


def decode(data: bytes, spec: Any) -> tuple[Any, bytes]:
    """`data` decoded against `spec`: as DER by pyasn1-fasder (native code, the same pyasn1 objects),
    and where that fails, as BER by pyasn1 itself, which decides (and raises `PyAsn1Error` on garbage).

    Agents encode their answers in DER's subset of BER almost always; the rest (long length forms, a
    trailing octet) is legal BER or garbage, and only pyasn1 tells which. Garbage always raises
    `PyAsn1Error`: on some (an eight-octet length, a nested indefinite length) pyasn1 lets a plain
    IndexError or OverflowError out, which would escape the datagram handler into the event loop's
    error log instead of counting as an ignored datagram.
    """
    with contextlib.suppress(Exception):  # not DER (or not even BER): pyasn1's decoder has the last word
        return cast(tuple[Any, bytes], decode_der(data, asn1Spec=spec))
    try:
        return cast(tuple[Any, bytes], decoder.decode(data, asn1Spec=spec))
    except PyAsn1Error:
        raise
    except Exception as exc:
        raise PyAsn1Error(f"undecodable: {type(exc).__name__}: {exc}") from exc


def same_value(raw: Any, encoded: bytes, spec: Any) -> bool:
    """Whether an undecoded component (an `Any`, its BER bytes) holds the value `encoded` holds.

    Compared as bytes first; only when they differ are both decoded with `spec` and compared, because
    BER allows other length forms for the same value (agents rarely use them, pyasn1 never does).
    """
    data = bytes(raw)
    if data == encoded:
        return True
    try:
        return bool(decoder.decode(data, asn1Spec=spec)[0] == decoder.decode(encoded, asn1Spec=spec)[0])
    except Exception:  # not even that type: certainly not the same value
        return False


class RequestTemplate:
    """An encoded request with its request-id cut out (`head + id (4 bytes) + tail`), with what an
    answer must repeat: the version, the community and (for a GET) the names of the OIDs asked for."""

    __slots__ = ("bulk", "encoded_community", "encoded_names", "head", "learnt_spec", "names", "tail")

    def __init__(self, head: bytes, tail: bytes, community: str, oids: Sequence[str], bulk: bool) -> None:
        self.head = head
        self.tail = tail
        self.bulk = bulk
        self.encoded_community = bytes(encoder.encode(_COMMUNITY.clone(community)))
        self.names = [rfc1902.ObjectName(oid) for oid in oids]
        self.encoded_names = [bytes(encoder.encode(name)) for name in self.names]
        self.learnt_spec: univ.Sequence | None = None  # see _decode_get_answer

    def message(self, request_id: int) -> bytes:
        return self.head + request_id.to_bytes(_ID_BYTES, "big") + self.tail

    def answered_by(self, message: Any) -> bool:
        """Whether a message decoded with `RESPONSE_SPEC` is v2c and carries this request's community."""
        return same_value(message[0], _ENCODED_VERSION, _VERSION) and same_value(
            message[1], self.encoded_community, _COMMUNITY
        )

    def var_binds(self, message: Any) -> VarBinds:
        """The `(name, value)` pairs of an answer decoded with `RESPONSE_SPEC`.

        A GET's answer must name exactly the OIDs asked for (RFC 3416): the names are compared and
        the request's own `ObjectName`s returned. A GETBULK's names are new and therefore decoded.
        """
        encoded = bytes(message[2][3])
        if self.bulk:
            return [(decode(bytes(name), _OBJECT_NAME)[0], value) for name, value in _decode(encoded)]
        pairs = self._decode_get_answer(encoded)
        if len(pairs) != len(self.names) or not all(
            same_value(name, encoded_name, _OBJECT_NAME)
            for (name, _), encoded_name in zip(pairs, self.encoded_names, strict=True)
        ):
            raise SnmpRequestError("the answer names other OIDs than were asked for")
        return [(name, value) for name, (_, value) in zip(self.names, pairs, strict=True)]

    def _decode_get_answer(self, encoded: bytes) -> list[tuple[Any, Any]]:
        """A GET answer's var-binds: against the value types of this request's last answer where they
        fit (most answers to one request have the same types), else against the full CHOICE."""
        spec = self.learnt_spec
        if spec is not None:
            try:
                var_binds, rest = decode(encoded, spec)
            except PyAsn1Error:  # other types (or more or fewer values) than last time
                pass
            else:
                if not rest:
                    return [(var_bind[0], var_bind[1]) for var_bind in var_binds.values()]
        pairs = _decode(encoded)
        self.learnt_spec = _exact_var_bind_list(tuple(type(value) for _, value in pairs))
        return pairs


def _leaf_alternatives(choice: univ.Choice) -> Iterator[namedtype.NamedType]:
    for alternative in choice.componentType.namedTypes:
        if isinstance(alternative.asn1Object, univ.Choice):
            yield from _leaf_alternatives(alternative.asn1Object)
        else:
            yield alternative


class _Value(univ.Choice):
    """pysnmp's var-bind value CHOICE (rfc1905) with its nested CHOICEs (ObjectSyntax, SimpleSyntax,
    ApplicationSyntax) flattened: the same alternatives and tags, the same rfc1902 value types."""

    componentType = namedtype.NamedTypes(*_leaf_alternatives(rfc1905.VarBind.componentType.getTypeByPosition(1)))


class _VarBind(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("name", univ.Any()), namedtype.NamedType("value", _Value())
    )


class _VarBindList(univ.SequenceOf):
    componentType = _VarBind()


class _Response(rfc1905.ResponsePDU):
    componentType = namedtype.NamedTypes(
        *rfc1905.PDU.componentType.namedTypes[:3], namedtype.NamedType("variable-bindings", univ.Any())
    )


class _ResponseMessage(rfc1901.Message):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("version", univ.Any()),
        namedtype.NamedType("community", univ.Any()),
        namedtype.NamedType("data", _Response()),
    )


# What answers are decoded against: pysnmp's v2c Message narrowed to a Response PDU (anything else
# fails to decode and is ignored), with the version, the community and the var-bind list left as
# BER bytes (`Any`): the first two are compared with the request's, the list is decoded once the
# request-id has named the request, against what that request's answers carry (`RequestTemplate`).
RESPONSE_SPEC = _ResponseMessage()
_VAR_BIND_LIST = _VarBindList()
_VERSION = rfc1901.Message.componentType.getTypeByPosition(0)
_ENCODED_VERSION = bytes(encoder.encode(_VERSION.clone(_V2C_VERSION)))
_COMMUNITY = rfc1901.Message.componentType.getTypeByPosition(1)
_OBJECT_NAME = rfc1902.ObjectName()
_VALUE_SPECS = {type(alternative.asn1Object): alternative.asn1Object for alternative in _Value.componentType.namedTypes}


# --- the fast path of a GET answer -----------------------------------------------------------------
#
# Most of a sweep's CPU went into pyasn1 building the answer's objects (the message, the PDU, every
# var-bind as a Sequence with its tags and constraints) only for the poller to read seven values out.
# An answer in DER (what agents send) to a GET is therefore read here directly: its header compared
# byte for byte with what the request expects, each var-bind's name compared with the name asked for
# as bytes, and each value made as the very pysnmp/pyasn1 object the decoder would give (the same
# spec, cloned with the value). Anything else (BER that is not DER, an error status, other names, a
# value out of its type's range, a type not in the CHOICE) is left to the pyasn1 path, which decides
# as before; so is every GETBULK answer.

# The value CHOICE's alternatives by their one identifier octet (all have low tag numbers).
_FAST_SPECS: dict[int, Any] = {
    alternative.asn1Object.tagSet[0].tagClass
    | alternative.asn1Object.tagSet[0].tagFormat
    | alternative.asn1Object.tagSet[0].tagId: alternative.asn1Object
    for alternative in _Value.componentType.namedTypes
}
_EMPTY_VALUES = {0x05, 0x80, 0x81, 0x82}  # NULL, noSuchObject, noSuchInstance, endOfMibView
_INTEGERS = {0x02, 0x41, 0x42, 0x43, 0x46}  # INTEGER, Counter32, Gauge32, TimeTicks, Counter64
_OCTETS = {0x04, 0x40, 0x44}  # OCTET STRING, IpAddress, Opaque
_OID = 0x06


def _tlv(data: bytes, at: int, end: int) -> tuple[int, int, int] | None:
    """The identifier octet, content start and content end of the DER element at `at`, or None
    (a high tag number, a length not in DER's shortest form, or past `end`)."""
    if at + 2 > end:
        return None
    tag, length = data[at], data[at + 1]
    if tag & 0x1F == 0x1F:
        return None
    start = at + 2
    if length & 0x80:
        octets = length & 0x7F
        if octets == 0 or octets > 3 or start + octets > end or data[start] == 0:
            return None
        length = int.from_bytes(data[start : start + octets], "big")
        if length < 0x80 or (octets > 1 and length < 1 << (8 * (octets - 1))):
            return None  # a longer form than needed: BER, not DER
        start += octets
    if start + length > end:
        return None
    return tag, start, start + length


def _der_integer(content: bytes) -> int | None:
    if not content or (len(content) > 1 and ((content[0] == 0 and content[1] < 0x80)
                                             or (content[0] == 0xFF and content[1] >= 0x80))):
        return None  # empty, or not in the fewest octets
    return int.from_bytes(content, "big", signed=True)


def _der_oid(content: bytes) -> tuple[int, ...] | None:
    arcs: list[int] = []
    value = 0
    fresh = True
    for octet in content:
        if fresh and octet == 0x80:
            return None  # a padded subidentifier: not DER
        value = (value << 7) | (octet & 0x7F)
        fresh = not octet & 0x80
        if fresh:
            arcs.append(value)
            value = 0
    if not arcs or not fresh:
        return None
    first = arcs[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    return (*head, *arcs[1:])


def _fast_value(tag: int, content: bytes) -> Any:
    """The value object the decoder would make, or None to leave the answer to the decoder."""
    spec = _FAST_SPECS.get(tag)
    if spec is None:
        return None
    value: Any
    if tag in _INTEGERS:
        value = _der_integer(content)
    elif tag in _OCTETS:
        value = content
    elif tag == _OID:
        value = _der_oid(content)
    elif tag in _EMPTY_VALUES:
        value = "" if not content else None
    else:
        return None
    if value is None:
        return None
    try:
        return spec.clone(value)
    except PyAsn1Error:  # out of the type's range or size: the decoder says what that is
        return None


def fast_answer(data: bytes) -> tuple[int, bytes, bytes, int, int] | None:
    """A DER v2c Response's request-id, version and community (as their encoded bytes), error status
    and where its var-bind list's content starts, or None when it is anything else."""
    end = len(data)
    message = _tlv(data, 0, end)
    if message is None or message[0] != 0x30 or message[2] != end:
        return None
    version = _tlv(data, message[1], end)
    if version is None or version[0] != 0x02:
        return None
    community = _tlv(data, version[2], end)
    if community is None or community[0] != 0x04:
        return None
    pdu = _tlv(data, community[2], end)
    if pdu is None or pdu[0] != 0xA2 or pdu[2] != end:
        return None
    fields = []
    at = pdu[1]
    for _ in range(3):  # request-id, error-status, error-index
        element = _tlv(data, at, end)
        if element is None or element[0] != 0x02:
            return None
        number = _der_integer(data[element[1] : element[2]])
        if number is None:
            return None
        fields.append(number)
        at = element[2]
    var_binds = _tlv(data, at, end)
    if var_binds is None or var_binds[0] != 0x30 or var_binds[2] != end:
        return None
    return (fields[0], data[message[1] : version[2]], data[version[2] : community[2]], fields[1], var_binds[1])


def fast_get_values(data: bytes, at: int, encoded_names: Sequence[bytes]) -> list[Any] | None:
    """The values of a GET answer's var-bind list (content from `at` to the end of `data`), when it
    names exactly `encoded_names` in order and every value reads as DER; else None."""
    end = len(data)
    values = []
    for encoded_name in encoded_names:
        var_bind = _tlv(data, at, end)
        if var_bind is None or var_bind[0] != 0x30:
            return None
        name_end = var_bind[1] + len(encoded_name)
        if data[var_bind[1] : name_end] != encoded_name:
            return None
        value = _tlv(data, name_end, var_bind[2])
        if value is None or value[2] != var_bind[2]:
            return None
        made = _fast_value(value[0], data[value[1] : value[2]])
        if made is None:
            return None
        values.append(made)
        at = var_bind[2]
    return values if at == end else None


def _decode(encoded: bytes) -> list[tuple[Any, Any]]:
    """A var-bind list against the full value CHOICE: `(name as BER bytes, value)` pairs."""
    var_binds, _ = decode(encoded, _VAR_BIND_LIST)
    return [(var_bind[0], var_bind[1].getComponent(True)) for var_bind in var_binds]


@functools.cache
def _exact_var_bind_list(value_types: tuple[type, ...]) -> univ.Sequence | None:
    """A var-bind list spec for exactly these value types in this order: no CHOICE to resolve.

    The alternatives of the value CHOICE differ in their tags, so an answer that decodes against it
    decodes to the very types and values the CHOICE would give; any other answer fails to decode.
    pyasn1 decodes a 7-value list against it in ~4/5 of the time the CHOICE takes.
    """
    if not all(value_type in _VALUE_SPECS for value_type in value_types):
        return None

    def var_bind(value_type: type) -> univ.Sequence:
        return univ.Sequence(
            componentType=namedtype.NamedTypes(
                namedtype.NamedType("name", univ.Any()), namedtype.NamedType("value", _VALUE_SPECS[value_type])
            )
        )

    return univ.Sequence(
        componentType=namedtype.NamedTypes(
            *(namedtype.NamedType(f"var-bind-{n}", var_bind(value_type)) for n, value_type in enumerate(value_types))
        )
    )


def _encode(community: str, oids: Sequence[str], max_repetitions: int | None, request_id: int) -> bytes:
    """A GET (or, with `max_repetitions`, a GETBULK) message, encoded by pyasn1."""
    if max_repetitions is None:
        pdu, pdu_api = _V2C.GetRequestPDU(), _V2C.apiPDU
        pdu_api.set_defaults(pdu)
    else:
        pdu, pdu_api = _V2C.GetBulkRequestPDU(), _V2C.apiBulkPDU
        pdu_api.set_defaults(pdu)
        pdu_api.set_non_repeaters(pdu, 0)
        pdu_api.set_max_repetitions(pdu, max_repetitions)
    pdu_api.set_request_id(pdu, request_id)
    pdu_api.set_varbinds(pdu, [(oid, _V2C.null) for oid in oids])
    message = _V2C.Message()
    _V2C.apiMessage.set_defaults(message)
    _V2C.apiMessage.set_community(message, community)
    _V2C.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


def request_template(community: str, oids: Sequence[str], max_repetitions: int | None = None) -> RequestTemplate:
    """Encode the request twice (lowest and highest request-id) and cut where the two differ."""
    low = _encode(community, oids, max_repetitions, FIRST_REQUEST_ID)
    high = _encode(community, oids, max_repetitions, LAST_REQUEST_ID)
    differ = [position for position, (a, b) in enumerate(zip(low, high, strict=True)) if a != b]
    start = differ[0]
    if len(low) != len(high) or differ[-1] - start >= _ID_BYTES or low[start - 2 : start] != b"\x02\x04":
        raise RuntimeError("pyasn1 did not encode the request-id as a four-byte INTEGER")
    return RequestTemplate(low[:start], low[start + _ID_BYTES :], community, oids, bulk=max_repetitions is not None)


class _Request:
    """One request in flight: where it goes, what it asks, who waits for it, the tries it has left."""

    __slots__ = ("address", "attempt", "future", "message", "template", "tries_left")

    def __init__(
        self,
        address: Address,
        template: RequestTemplate,
        request_id: int,
        future: asyncio.Future[VarBinds],
        retries: int,
    ) -> None:
        self.address = address
        self.template = template
        self.message = template.message(request_id)
        self.future = future
        self.tries_left = retries
        self.attempt = 0


class V2cClient(asyncio.DatagramProtocol):
    """SNMP v2c GET and GETBULK to many agents over one UDP socket: `async with V2cClient(...)`."""

    def __init__(self, *, timeout: float, retries: int) -> None:
        self.timeout = timeout
        self.retries = retries
        self.ignored = 0  # datagrams that matched no request in flight
        self.resent = 0  # requests sent again after their timeout
        self._transport: asyncio.DatagramTransport | None = None
        self._icmp: IcmpErrors | None = None
        self._pending: dict[int, _Request] = {}
        # (deadline, request-id, attempt) in the order they were set, which is the order they come due.
        self._deadlines: deque[tuple[float, int, int]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._templates: dict[tuple[str, tuple[str, ...], int | None], RequestTemplate] = {}
        # Not 0 after each start: an answer meant for an earlier process must not match by accident.
        self._next_id = random.randint(FIRST_REQUEST_ID, LAST_REQUEST_ID)  # noqa: S311 -- not a secret
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __aenter__(self) -> V2cClient:
        self._loop = asyncio.get_running_loop()
        await self._loop.create_datagram_endpoint(lambda: self, family=socket.AF_INET)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for request in self._pending.values():
            if not request.future.done():
                request.future.set_exception(SnmpRequestError("client closed"))
        self._pending.clear()
        self._deadlines.clear()
        if self._icmp is not None:
            self._icmp.close()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    # --- requests ---------------------------------------------------------------------------------

    async def get(self, address: Address, community: str, oids: Sequence[str]) -> VarBinds:
        """GET `oids`; the answer's var-binds in the agent's order (which is the request's)."""
        return await self._request(address, self._template(community, oids, None))

    async def bulk(self, address: Address, community: str, oids: Sequence[str], max_repetitions: int) -> VarBinds:
        """GETBULK from `oids` (no non-repeaters): up to `max_repetitions` rows of successors."""
        return await self._request(address, self._template(community, oids, max_repetitions))

    def _template(self, community: str, oids: Sequence[str], max_repetitions: int | None) -> RequestTemplate:
        key = (community, tuple(oids), max_repetitions)
        template = self._templates.get(key)
        if template is None:
            template = self._templates[key] = request_template(community, oids, max_repetitions)
        return template

    def _new_request_id(self) -> int:
        request_id = self._next_id
        self._next_id = request_id + 1 if request_id < LAST_REQUEST_ID else FIRST_REQUEST_ID
        return request_id

    async def _request(self, address: Address, template: RequestTemplate) -> VarBinds:
        if self._loop is None or self._transport is None:
            raise RuntimeError("use the client inside `async with`")
        request_id = self._new_request_id()
        future: asyncio.Future[VarBinds] = self._loop.create_future()
        request = _Request(address, template, request_id, future, self.retries)
        self._pending[request_id] = request
        try:
            self._send(request)
            self._set_deadline(request_id, request)
            return await future
        finally:
            # Answered, timed out, refused or cancelled: a later answer with this id is a stray.
            self._pending.pop(request_id, None)

    def _send(self, request: _Request) -> None:
        assert self._icmp is not None  # set with the transport, before any request
        self._icmp.send(request.message, request.address)

    def _set_deadline(self, request_id: int, request: _Request) -> None:
        assert self._loop is not None
        deadline = self._loop.time() + self.timeout
        self._deadlines.append((deadline, request_id, request.attempt))
        if self._timer is None:
            self._timer = self._loop.call_at(deadline, self._expire)

    def _expire(self) -> None:
        """The one timer: resend or fail every request whose deadline has come, then re-arm.

        `self._timer` keeps this spent handle until the end, so that a resend's new deadline (at the
        back of the queue) does not arm the timer later than the deadlines still waiting before it.
        """
        assert self._loop is not None
        now = self._loop.time()
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= now:
            _, request_id, attempt = deadlines.popleft()
            request = self._pending.get(request_id)
            if request is None or request.attempt != attempt or request.future.done():
                continue  # answered, refused or given up since: this deadline is stale
            if request.tries_left > 0:
                request.tries_left -= 1
                request.attempt += 1
                self.resent += 1
                self._send(request)
                self._set_deadline(request_id, request)
            else:
                request.future.set_exception(SnmpRequestError("No SNMP response received before timeout"))
        self._timer = self._loop.call_at(deadlines[0][0], self._expire) if deadlines else None

    # --- the datagram endpoint --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's selector transport does not derive from asyncio.DatagramTransport; it behaves as one.
        self._transport = cast(asyncio.DatagramTransport, transport)
        self._icmp = IcmpErrors(self._transport, self._unreachable)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self._fast_get_answer(data, addr):
            return
        try:
            message, _ = decode(data, RESPONSE_SPEC)
            answer = message.getComponentByPosition(2)  # the Response PDU (no PDUs CHOICE around it)
            request = self._pending.get(int(_V2C.apiPDU.get_request_id(answer)))
        except Exception:  # whatever a malformed or foreign datagram (not a Response) makes pyasn1 raise
            request = None
        if (
            request is None
            or request.future.done()
            or (str(addr[0]), int(addr[1])) != request.address
            or not request.template.answered_by(message)
        ):
            self.ignored += 1
            return
        error_status = _V2C.apiPDU.get_error_status(answer)
        if error_status:
            error_index = _V2C.apiPDU.get_error_index(answer, muteErrors=True)
            request.future.set_exception(SnmpRequestError(f"{error_status.prettyPrint()} at {error_index}"))
            return
        try:
            var_binds = request.template.var_binds(message)
        except PyAsn1Error:  # a var-bind list that is no var-bind list: garbage, as if undecodable
            self.ignored += 1
            return
        except SnmpRequestError as exc:  # names that do not fit the request
            request.future.set_exception(exc)
            return
        request.future.set_result(var_binds)

    def _fast_get_answer(self, data: bytes, addr: Any) -> bool:
        """Take a DER answer to a GET without pyasn1's decoder (see `fast_get_values`); False leaves
        the datagram to the decoder, which handles everything else exactly as before."""
        header = fast_answer(data)
        if header is None:
            return False
        request_id, version, community, error_status, at = header
        request = self._pending.get(request_id)
        if (
            request is None
            or request.future.done()
            or request.template.bulk
            or error_status
            or version != _ENCODED_VERSION
            or community != request.template.encoded_community
            or (str(addr[0]), int(addr[1])) != request.address
        ):
            return False
        values = fast_get_values(data, at, request.template.encoded_names)
        if values is None:
            return False
        request.future.set_result(list(zip(request.template.names, values, strict=True)))
        return True

    def error_received(self, exc: Exception) -> None:
        if self._icmp is not None:
            self._icmp.drain()

    def _unreachable(self, address: Address, reason: str) -> None:
        # Few requests are in flight (the poller's concurrency), so a scan is cheaper than an index.
        for request in self._pending.values():
            if request.address == address and not request.future.done():
                request.future.set_exception(SnmpRequestError(f"unreachable: {reason}"))
