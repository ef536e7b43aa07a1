"""Drill 15's inputs: hostile values from the hardening issue and hypothesis draws, as probes
(an HTTP request, signed or not, or a WebSocket frame). Deterministic: the hypothesis draws are
derandomized and use no example database."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

PING = "/api/v4/public/ping"
LIMIT = "/api/v4/order/collateral/limit"
EXAMPLES = 60  # hypothesis-drawn REST inputs (and half as many WebSocket frames)


#: Raw JSON text for one value: numbers no parser should work hard on, non-ASCII digits,
#: non-finite numbers, wrong types, huge and deeply nested values.
HOSTILE_VALUES: tuple[str, ...] = (
    "1e999",
    "-1e999",
    "1e308",
    "1e1000000",
    "1E+999999999",
    "123456789012345678901234567890",
    "0.000000000000000000000000000000001",
    "-0",
    "NaN",
    "Infinity",
    '"1e999"',
    '"1e308"',
    '"1e1000000"',
    '"' + "1" * 100 + '"',
    '"' + "9" * 60 + '"',
    '"123456789012345678901234567890"',
    '"\u0660.\u0660\u0661"',  # Arabic-Indic "0.01"
    '"\u0663"',  # Arabic-Indic 3
    '"\uff11"',  # fullwidth 1
    '"NaN"',
    '"Infinity"',
    '"-0"',
    '"0x10"',
    '""',
    "true",
    "null",
    "[]",
    "{}",
    '["1"]',
    '{"a":1}',
    '"' + "x" * 200_000 + '"',
    "[" * 5000 + "]" * 5000,
    '{"a":' * 3000 + "1" + "}" * 3000,
)

WEDGE = frozenset({"1E+999999999"})

#: (path, a valid body's fields, the fields to spoil one at a time)
SIGNED_TARGETS: tuple[tuple[str, dict[str, Any], tuple[str, ...]], ...] = (
    (
        LIMIT,
        {"market": "BTC_PERP", "side": "buy", "amount": "0.001", "price": "1000"},
        ("amount", "price", "side", "market", "clientOrderId"),
    ),
    (
        "/api/v4/order/collateral/market",
        {"market": "BTC_PERP", "side": "buy", "amount": "0.001"},
        ("amount",),
    ),
    ("/api/v4/collateral-account/leverage", {"leverage": 5}, ("leverage",)),
    ("/api/v4/orders", {"market": "BTC_PERP", "limit": 10, "offset": 0}, ("limit", "offset")),
    ("/api/v4/order/cancel", {"market": "BTC_PERP", "orderId": 1}, ("orderId",)),
    (
        "/api/v4/collateral-account/positions/history",
        {"market": "BTC_PERP", "positionId": 1, "startDate": 1, "endDate": 2},
        ("positionId", "startDate", "endDate"),
    ),
)

#: fields that take text, not a number
TEXT_FIELDS = frozenset({"market", "side", "clientOrderId"})

PUBLIC_QUERIES: tuple[tuple[str, str], ...] = (
    ("/api/v4/public/orderbook/BTC_PERP", "limit"),
    ("/api/v4/public/orderbook/BTC_PERP", "level"),
    ("/api/v4/public/funding-history/BTC_PERP", "limit"),
    ("/api/v4/public/funding-history/BTC_PERP", "startDate"),
)

QUERY_VALUES: tuple[str, ...] = (
    "\u0663",
    "1e1000000",
    "1e999",
    "123456789012345678901234567890",
    "-1",
    "NaN",
    "%00",
    "x" * 5000,
)


@dataclass(frozen=True)
class Probe:
    label: str
    method: str = "POST"
    path: str = ""
    query: str = ""
    body: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()
    #: signed: the body's JSON members after ``request`` and ``nonce``, as raw JSON text
    signed: str | None = None
    frame: str | bytes | None = None  # a WebSocket frame instead of an HTTP request
    #: must be refused (non-ASCII digits: the exchange takes ASCII numbers only)
    refuse: bool = False

    @property
    def is_ws(self) -> bool:
        return self.frame is not None


def _short(raw: str, keep: int = 12) -> str:
    return raw if len(raw) <= 2 * keep else f"{raw[:keep]}...({len(raw)} chars)"


def members(fields: dict[str, Any], spoil: str | None = None, raw: str = "") -> str:
    parts = [
        f"{json.dumps(name)}:{raw if name == spoil else json.dumps(value)}"
        for name, value in fields.items()
    ]
    if spoil is not None and spoil not in fields:
        parts.append(f"{json.dumps(spoil)}:{raw}")
    return ",".join(parts)


def fixed_probes() -> list[Probe]:
    """Every hostile value in every field that takes a number, plus the transport-level cases."""
    probes: list[Probe] = []
    for t, (path, fields, spoil) in enumerate(SIGNED_TARGETS):
        for f, name in enumerate(spoil):
            for raw in HOSTILE_VALUES:
                # Size and depth are the request's, not the field's: one field tries them.
                # An exponent of a billion wedges a sandbox for hours: two fields try it.
                if (len(raw) > 100 and (t, f) != (0, 0)) or (raw in WEDGE and f != 0):
                    continue
                label = f"signed {path} {name}={_short(raw)}"
                signed = members(fields, name, raw)
                refuse = name not in TEXT_FIELDS and not raw.isascii()  # non-ASCII digits
                probes.append(Probe(label, path=path, signed=signed, refuse=refuse))
    deep = "[" * 5000
    probes += [
        Probe("signed body is a 5000-deep list", path=LIMIT, signed="!" + "[" * 5000 + "]" * 5000),
        Probe(
            "unsigned X-TXC-PAYLOAD of 5000 [",
            path=LIMIT,
            body=b"{}",
            headers=(("X-TXC-APIKEY", b"nope"), ("X-TXC-PAYLOAD", deep.encode())),
        ),
        Probe(
            "unsigned X-TXC-PAYLOAD base64(5000 [)",
            path=LIMIT,
            body=deep.encode(),
            headers=(
                ("X-TXC-APIKEY", b"nope"),
                ("X-TXC-PAYLOAD", base64.b64encode(deep.encode())),
                ("X-TXC-SIGNATURE", b"00"),
            ),
        ),
        Probe(
            "unsigned X-TXC-PAYLOAD not ASCII",
            path=LIMIT,
            body=b"{}",
            headers=(("X-TXC-APIKEY", "kéy".encode("latin-1")), ("X-TXC-PAYLOAD", b"\xff\xfe")),
        ),
        Probe("unsigned body 1e1000000", path=LIMIT, body=b'{"amount":1e1000000}'),
        Probe("unsigned body not JSON", path=LIMIT, body=b"\xff{"),
        Probe("405: DELETE on a public path", method="DELETE", path=PING),
        Probe("405: GET on a private path", method="GET", path=LIMIT),
        Probe("413: a 2 MB body", path=LIMIT, body=b"[" + b"1," * 1_000_000 + b"1]"),
        Probe("oversize header", method="GET", path=PING, headers=(("X-Junk", b"j" * 20_000),)),
    ]
    for path, param in PUBLIC_QUERIES:
        for value in QUERY_VALUES:
            probes.append(
                Probe(
                    f"GET {path}?{param}={_short(value)}",
                    "GET",
                    path,
                    f"{param}={value}",
                    refuse=not value.isascii(),
                )
            )
    frames: list[str | bytes] = [
        *(
            f'{{"id":1,"method":"authorize","params":{raw}}}'
            for raw in ('"tok"', "5", '{"a":1}', "[5]", "[null]", "[[]]", "[{}]", "[1e999]")
        ),
        '{"id":1,"method":"authorize","params":["' + "t" * 100_000 + '","public"]}',
        '{"id":1,"method":"ping","params":' + "[" * 5000 + "]" * 5000 + "}",
        "[" * 5000 + "]" * 5000,
        '{"id":1e1000000,"method":"ping","params":[]}',
        '{"id":"x","method":5,"params":null}',
        '{"id":1,"method":["ping"],"params":[]}',
        '{"id":1,"method":"lastprice_subscribe","params":[5,null,{}]}',
        '{"id":1,"method":"depth_subscribe","params":["BTC_PERP",1e1000000,"0",true]}',
        "{",
        "nul",
        b"\xff\x00binary",
    ]
    probes += [Probe(f"ws {_short(str(f), 48)}", frame=f) for f in frames]
    return probes


def drawn_probes(examples: int = EXAMPLES) -> list[Probe]:
    """Hypothesis-drawn values (JSON of any shape, huge integers, floats, odd text) in the
    signed targets' fields, and as WebSocket ``params`` (derandomized, no example database)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**40), 10**40),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=40),
        st.sampled_from([v for v in HOSTILE_VALUES if len(v) < 100]).map(lambda v: ("raw", v)),
    )
    values = st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=12,
    )

    def render(value: Any) -> str:
        if isinstance(value, tuple) and value[:1] == ("raw",):
            return str(value[1])
        if isinstance(value, list):
            return "[" + ",".join(render(v) for v in value) + "]"
        if isinstance(value, dict):
            return "{" + ",".join(f"{json.dumps(k)}:{render(v)}" for k, v in value.items()) + "}"
        return json.dumps(value)  # floats: NaN/Infinity as Python writes them

    probes: list[Probe] = []
    targets = st.sampled_from(
        [(path, fields, name) for path, fields, spoil in SIGNED_TARGETS for name in spoil]
    )

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True)
    @given(targets, values)
    def rest(target: tuple[str, dict[str, Any], str], value: Any) -> None:
        path, fields, name = target
        raw = render(value)
        probes.append(
            Probe(
                f"drawn signed {path} {name}={_short(raw)}",
                path=path,
                signed=members(fields, name, raw),
            )
        )

    methods = st.sampled_from(
        ["authorize", "ping", "lastprice_subscribe", "positionsMargin_subscribe", "time"]
    )

    @settings(max_examples=examples // 2, deadline=None, database=None, derandomize=True)
    @given(methods, values)
    def ws(method: str, value: Any) -> None:
        frame = f'{{"id":7,"method":"{method}","params":{render(value)}}}'
        probes.append(Probe(f"drawn ws {method} params={_short(render(value))}", frame=frame))

    queries = st.sampled_from(PUBLIC_QUERIES)
    text = st.text(min_size=1, max_size=30)

    @settings(max_examples=examples // 3, deadline=None, database=None, derandomize=True)
    @given(queries, text)
    def query(target: tuple[str, str], value: str) -> None:
        path, param = target
        encoded = urllib.parse.quote(value, safe="")
        probes.append(
            Probe(
                f"drawn GET {path}?{param}={_short(value)!r}",
                "GET",
                path,
                f"{param}={encoded}",
                refuse=any(c.isdigit() and not c.isascii() for c in value) and value.strip() != "",
            )
        )

    @settings(max_examples=examples // 3, deadline=None, database=None, derandomize=True)
    @given(st.sampled_from([LIMIT, "/api/v4/collateral-account/leverage"]), values, text)
    def unsigned(path: str, value: Any, key: str) -> None:
        body = render(value).encode()
        headers = (
            ("X-TXC-APIKEY", key.encode("utf-8")),
            ("X-TXC-PAYLOAD", base64.b64encode(body)),
            ("X-TXC-SIGNATURE", hashlib.sha512(body).hexdigest().encode()),
        )
        label = f"drawn unsigned {path} payload={_short(render(value))} key={_short(key)!r}"
        probes.append(Probe(label, path=path, body=body, headers=headers))

    rest()
    ws()
    query()
    unsigned()
    return probes
