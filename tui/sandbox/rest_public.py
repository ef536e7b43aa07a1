"""Public REST handlers (markets, tickers, futures, order book, funding history). ``PUBLIC``
maps each GET path (``{market}`` is a path parameter) to its handler."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tui.domain import risk

from . import wire
from .catalog import FUTURES_BRACKETS
from .numbers import INT_TEXT_RE
from .rest_params import Context

D = Decimal


# -- public ---------------------------------------------------------------------------------------
class PublicError(Exception):
    """A public endpoint's flat error: HTTP ``status`` and a body such as
    ``{"market": ["Market is not available."]}``."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(body)
        self.status = status
        self.body = body


def public_markets(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    out = []
    for spec in ctx.engine.catalog.values():
        m = spec.market
        out.append(
            {
                "name": m.name,
                "stock": m.base,
                "money": m.quote,
                "stockPrec": str(m.amount_precision),
                "moneyPrec": str(m.price_precision),
                "feePrec": "4",
                "makerFee": wire.s(m.maker_fee),
                "takerFee": wire.s(m.taker_fee),
                "minAmount": wire.s(m.min_amount),
                "minTotal": wire.s(m.min_total),
                "maxTotal": wire.s(m.max_total),
                "tradesEnabled": True,
                "isCollateral": True,
                "type": "futures" if spec.is_futures else "spot",
                "isTradFiFutures": False,
                "delistedAt": None,
            }
        )
    return out


_BASE_VOLUME = {"BTC": D("1850.3"), "ETH": D("24150.7")}


def _volume(ctx: Context, name: str) -> Decimal:
    spec = ctx.engine.catalog[name]
    return _BASE_VOLUME.get(spec.market.base, D(1000)) + ctx.engine.volumes[name]


def public_ticker(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    engine = ctx.engine
    out = {}
    for name, spec in engine.catalog.items():
        last = engine.prices[name]
        start = engine.open_prices[name]
        volume = _volume(ctx, name)
        out[name] = {
            "base_id": spec.base_id,
            "quote_id": spec.quote_id,
            "last_price": wire.s(last),
            "quote_volume": wire.fixed(volume * last, 2),
            "base_volume": wire.s(volume),
            "isFrozen": False,
            "change": wire.fixed((last - start) / start * 100, 2),
        }
    return out


def public_futures(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    engine = ctx.engine
    result = []
    for name, spec in engine.catalog.items():
        if not spec.is_futures:
            continue
        m = spec.market
        last = engine.prices[name]
        spot = f"{m.base}_USDT"
        index = engine.prices.get(spot, last)
        volume = _volume(ctx, name)
        interest = sum((p.size for p in engine.open_positions(name)), D(0)) + D(250)
        next_ms = int(engine.next_funding * 1000)
        result.append(
            {
                "ticker_id": name,
                "stock_currency": m.base,
                "money_currency": "USDT",
                "last_price": wire.s(last),
                "stock_volume": wire.s(volume),
                "money_volume": wire.fixed(volume * last, 2),
                "bid": wire.s(last - m.price_step),
                "ask": wire.s(last + m.price_step),
                "high": wire.s(engine.highs[name]),
                "low": wire.s(engine.lows[name]),
                "product_type": "Perpetual",
                "open_interest": wire.s(interest),
                "index_price": wire.s(index),
                "index_name": spec.index_name,
                "index_currency": m.base,
                "funding_rate": wire.s(engine.funding_rates[name]),
                "funding_cap": wire.s(spec.funding_cap),
                "funding_floor": wire.s(spec.funding_floor),
                "next_funding_rate_timestamp": str(next_ms),
                "brackets": dict(FUTURES_BRACKETS),
                "max_leverage": m.max_leverage,
                "funding_interval_minutes": engine.funding_interval_minutes(),
            }
        )
    return {"success": True, "message": None, "result": result}


def public_collateral_markets(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    names = [n for n, s in ctx.engine.catalog.items() if not s.is_futures]
    return {"success": True, "message": None, "result": names}


#: Asset facts for /public/assets: name, CoinMarketCap id (WhiteBIT's unified_cryptoasset_id),
#: precision and networks. Reported only: the sandbox has no deposits or withdrawals.
_ASSETS: dict[str, tuple[str, int, int, tuple[str, ...]]] = {
    "BTC": ("Bitcoin", 1, 8, ("BTC",)),
    "ETH": ("Ethereum", 1027, 18, ("ETH",)),
    "USDT": ("Tether US", 825, 6, ("ERC20", "TRC20")),
}


def public_assets(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    """Asset status list (GET /api/v4/public/assets): one object per asset of the catalog.
    Generic clients (ccxt's ``load_markets``) read it before the markets."""
    names = sorted(
        {s.market.base for s in ctx.engine.catalog.values()}
        | {s.market.quote for s in ctx.engine.catalog.values()}
    )
    out = {}
    for code in names:
        name, cmc_id, precision, networks = _ASSETS.get(code, (code, 0, 8, (code,)))
        out[code] = {
            "name": name,
            "unified_cryptoasset_id": cmc_id,
            "can_withdraw": False,
            "can_deposit": False,
            "min_withdraw": "0",
            "max_withdraw": "0",
            "maker_fee": "0.1",
            "taker_fee": "0.1",
            "min_deposit": "0",
            "max_deposit": "0",
            "networks": {
                "deposits": list(networks),
                "withdraws": list(networks),
                "default": networks[0],
            },
            "limits": {"deposit": {}, "withdraw": {}},
            "currency_precision": precision,
            "is_memo": False,
        }
    return out


def public_time(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    return {"time": int(ctx.engine.now())}


def public_ping(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    return ["pong"]


#: The latest date a query may name (year 9999): larger values are refused, not clamped.
MAX_UNIX_SECONDS = 253_402_300_799


def _query_int(q: dict[str, str], name: str, default: int, lo: int, hi: int, clamp: bool) -> int:
    raw = q.get(name)
    if raw is None or raw == "":
        return default
    if not INT_TEXT_RE.fullmatch(raw):  # ASCII digits, at most 19: int() below is cheap
        raise PublicError(422, {name: [f"The {name} must be an integer."]})
    value = int(raw)
    if clamp:
        return max(lo, min(hi, value))
    if not lo <= value <= hi:
        raise PublicError(422, {name: [f"The {name} must be between {lo} and {hi}."]})
    return value


def _book(ctx: Context, market: str, limit: int, within: Decimal | None) -> dict[str, Any]:
    engine = ctx.engine
    spec = engine.catalog[market]
    m = spec.market
    last = engine.prices[market]
    gap = max(m.price_step, risk.quantize_price(last * D("0.00002"), m.price_step))
    rng = random.Random(f"{engine.options.seed}:{market}:{engine.tick_count}")
    asks, bids = [], []
    for i in range(1, limit + 1):
        ask = last + gap * i
        bid = last - gap * i
        if bid <= 0:
            break
        if within is not None and (ask > last * (1 + within) or bid < last * (1 - within)):
            break
        amount_a = m.min_amount * rng.randint(1, 4000)
        amount_b = m.min_amount * rng.randint(1, 4000)
        asks.append([wire.s(ask), wire.s(amount_a)])
        bids.append([wire.s(bid), wire.s(amount_b)])
    return {
        "ticker_id": market,
        "timestamp": int(engine.now()),
        "asks": asks,
        "bids": bids,
    }


def _book_market(ctx: Context, path: dict[str, str]) -> str:
    market = path.get("market", "")
    if market not in ctx.engine.catalog:
        raise PublicError(422, {"market": ["Market is not available."]})
    return market


def public_orderbook(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    market = _book_market(ctx, path)
    limit = _query_int(q, "limit", 100, 0, 100, clamp=False) or 100
    _query_int(q, "level", 0, 0, 5, clamp=True)  # aggregation level: accepted, not applied
    return _book(ctx, market, limit, None)


def public_depth(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    market = _book_market(ctx, path)
    return _book(ctx, market, 100, D("0.02"))


def public_funding_history(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    market = path.get("market", "")
    if market not in ctx.engine.catalog or not ctx.engine.catalog[market].is_futures:
        raise PublicError(422, {"market": "Market is not available."})
    limit = _query_int(q, "limit", 100, 1, 100, clamp=False)
    offset = _query_int(q, "offset", 0, 0, 1_000_000, clamp=False)
    # startDate/endDate (documented, Unix seconds) bound fundingTime as answered (whole
    # seconds), inclusively: the docs are silent on that, and "from..to" reads inclusive.
    start = _query_int(q, "startDate", 0, 0, MAX_UNIX_SECONDS, clamp=False)
    end = _query_int(q, "endDate", MAX_UNIX_SECONDS, 0, MAX_UNIX_SECONDS, clamp=False)
    if start > end:
        raise PublicError(422, {"startDate": ["The startDate must be less than endDate."]})
    rows = [
        r
        for r in reversed(ctx.engine.funding_rounds)
        if r["market"] == market and start <= r["fundingTime"].to_integral_value() <= end
    ]
    return [
        {
            "fundingTime": wire.s(r["fundingTime"].to_integral_value()),
            "fundingRate": wire.s(r["fundingRate"]),
            "market": market,
            "settlementPrice": wire.s(r["settlementPrice"]),
            "rateCalculatedTime": wire.s(r["rateCalculatedTime"].to_integral_value()),
        }
        for r in rows[offset : offset + limit]
    ]


PUBLIC: dict[str, Callable[[Context, dict[str, str], dict[str, str]], Any]] = {
    "/api/v4/public/markets": public_markets,
    "/api/v4/public/assets": public_assets,
    "/api/v4/public/ticker": public_ticker,
    "/api/v4/public/futures": public_futures,
    "/api/v4/public/collateral/markets": public_collateral_markets,
    "/api/v4/public/time": public_time,
    "/api/v4/public/ping": public_ping,
    "/api/v4/public/orderbook/depth/{market}": public_depth,
    "/api/v4/public/orderbook/{market}": public_orderbook,
    "/api/v4/public/funding-history/{market}": public_funding_history,
}

__all__ = ["PUBLIC", "PublicError"]
