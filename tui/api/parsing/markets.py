"""Market data: markets, tickers, futures."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tui.domain.markets import leverages_for, product_of
from tui.domain.models import FuturesInfo, Market, Product

from .scalars import (
    ParseError,
    _bool,
    _dec_opt,
    _dec_or_zero,
    _int_opt,
    _list,
    _obj,
    _req,
    _str,
    to_decimal,
    to_int,
)

# ---------------------------------------------------------------------------- market data


def parse_market(d: Mapping[str, Any]) -> Market | None:
    """One ``/public/markets`` row, or None when it is neither a margin pair nor a perpetual."""
    d = _obj(d, "market")
    kind = str(d.get("type") or "spot").lower()
    if kind == "futures":
        product = Product.FUTURES
    elif kind == "spot" and _bool(d.get("isCollateral")):
        product = Product.MARGIN
    else:
        return None
    name = _str(d.get("name"), "name")
    if product_of(name) is not product:
        return None  # a "futures" row not named *_PERP (or vice versa): not something we trade
    quote = str(d.get("money") or "")
    if product is Product.FUTURES and quote.upper() in ("", "PERP"):
        # ccxt maps money == "PERP" to USDT: older responses used "PERP" for the quote.
        quote = "USDT"
    leverages = leverages_for(product)
    return Market(
        name=name,
        product=product,
        base=_str(d.get("stock"), "stock"),
        quote=quote,
        amount_precision=to_int(_req(d, "stockPrec"), "stockPrec"),
        price_precision=to_int(_req(d, "moneyPrec"), "moneyPrec"),
        min_amount=to_decimal(_req(d, "minAmount"), "minAmount"),
        min_total=_dec_or_zero(d.get("minTotal"), "minTotal"),
        max_total=_dec_or_zero(d.get("maxTotal"), "maxTotal"),
        maker_fee=_dec_or_zero(d.get("makerFee"), "makerFee"),
        taker_fee=_dec_or_zero(d.get("takerFee"), "takerFee"),
        leverages=leverages,
        max_leverage=max(leverages),
    )


def parse_markets(data: Any) -> list[Market]:
    out: list[Market] = []
    for row in _list(data, "markets"):
        if isinstance(row, Mapping) and row.get("delistedAt"):
            continue
        market = parse_market(row)
        if market is not None:
            out.append(market)
    return out


def parse_tickers(data: Any) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for name, row in _obj(data, "ticker").items():
        if not isinstance(row, Mapping):
            continue
        price = _dec_opt(row.get("last_price"), f"{name}.last_price")
        if price is not None:
            out[str(name)] = price
    return out


def parse_futures(data: Any) -> list[FuturesInfo]:
    if isinstance(data, Mapping):
        if data.get("success") is False:
            raise ParseError(str(data.get("message") or "futures list unavailable"))
        data = data.get("result")
    out: list[FuturesInfo] = []
    for row in _list(data, "result"):
        row = _obj(row, "futures")
        brackets: dict[str, Decimal] = {}
        raw_brackets = row.get("brackets")
        if isinstance(raw_brackets, Mapping):
            for lev, cap in raw_brackets.items():
                brackets[str(lev)] = to_decimal(cap, f"brackets.{lev}")
        out.append(
            FuturesInfo(
                market=_str(_req(row, "ticker_id"), "ticker_id"),
                last_price=_dec_or_zero(row.get("last_price"), "last_price"),
                index_price=_dec_or_zero(row.get("index_price"), "index_price"),
                funding_rate=_dec_or_zero(row.get("funding_rate"), "funding_rate"),
                next_funding_ms=_int_opt(row.get("next_funding_rate_timestamp"), "next_funding")
                or 0,
                max_leverage=_int_opt(row.get("max_leverage"), "max_leverage") or 0,
                funding_interval_minutes=_int_opt(
                    row.get("funding_interval_minutes"), "funding_interval_minutes"
                )
                or 0,
                brackets=brackets,
            )
        )
    return out
