"""The collateral account: balances, summary, positions (REST and WS), position events, funding."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tui.domain.markets import product_of
from tui.domain.models import (
    AccountSummary,
    Balance,
    FundingPayment,
    Position,
    PositionEvent,
    PositionSide,
)

from .scalars import (
    _bool,
    _dec_opt,
    _dec_or_zero,
    _int_opt,
    _liq_state,
    _list,
    _obj,
    _position_side,
    _positive_or_none,
    _req,
    _str,
    to_decimal,
    to_int,
)

# ---------------------------------------------------------------------------- account


def parse_collateral_balance(data: Any) -> dict[str, Decimal]:
    """``{"USDT": 1000.5, "BTC": 0}`` (JSON numbers, decoded as Decimal/int) -> Decimals."""
    return {str(k): to_decimal(v, str(k)) for k, v in _obj(data, "balance").items()}


def parse_balance_summary(data: Any) -> list[Balance]:
    out: list[Balance] = []
    for row in _list(data, "balance-summary"):
        row = _obj(row, "balance")
        out.append(
            Balance(
                asset=_str(_req(row, "asset"), "asset"),
                balance=_dec_or_zero(row.get("balance"), "balance"),
                borrow=_dec_or_zero(row.get("borrow"), "borrow"),
                available_without_borrow=_dec_opt(
                    row.get("availableWithoutBorrow"), "availableWithoutBorrow"
                ),
                available_with_borrow=_dec_opt(
                    row.get("availableWithBorrow"), "availableWithBorrow"
                ),
            )
        )
    return out


def parse_account_summary(data: Any) -> AccountSummary:
    d = _obj(data, "summary")
    margin_fraction = _dec_opt(d.get("marginFraction"), "marginFraction")
    return AccountSummary(
        equity=to_decimal(_req(d, "equity"), "equity"),
        margin=_dec_or_zero(d.get("margin"), "margin"),
        free_margin=_dec_or_zero(d.get("freeMargin"), "freeMargin"),
        unrealized_funding=_dec_or_zero(d.get("unrealizedFunding"), "unrealizedFunding"),
        pnl=_dec_or_zero(d.get("pnl"), "pnl"),
        leverage=to_int(_req(d, "leverage"), "leverage"),
        margin_fraction=margin_fraction,
        maintenance_margin_fraction=_dec_opt(
            d.get("maintenanceMarginFraction"), "maintenanceMarginFraction"
        ),
    )


# ---------------------------------------------------------------------------- positions


def _signed_amount(amount: Decimal, side: PositionSide | None) -> Decimal:
    # Position.amount is signed (negative = short), as the WS stream reports it. The REST sign
    # for shorts is unconfirmed: a SHORT (hedge mode) row with a positive amount is negated.
    if side is PositionSide.SHORT and amount > 0:
        return -amount
    if side is PositionSide.LONG and amount < 0:
        return -amount
    return amount


def parse_position(d: Mapping[str, Any]) -> Position:
    """One ``collateral-account/positions/open`` row."""
    d = _obj(d, "position")
    market = _str(_req(d, "market"), "market")
    side = _position_side(d.get("positionSide")) or PositionSide.BOTH
    # ``pnl`` changed meaning between doc versions (OLD: unrealized; current OAS: realized from
    # partial closes, with the unrealized value in ``unrealizedPnl``). When ``unrealizedPnl`` is
    # present we follow the current docs; otherwise ``pnl`` is the only PnL there is.
    if d.get("unrealizedPnl") is not None:
        pnl = _dec_or_zero(d.get("unrealizedPnl"), "unrealizedPnl")
        realized = _dec_or_zero(d.get("pnl"), "pnl")
    else:
        pnl = _dec_or_zero(d.get("pnl"), "pnl")
        realized = _dec_or_zero(d.get("realizedPnl"), "realizedPnl")
    return Position(
        id=to_int(_req(d, "positionId", "id"), "positionId"),
        market=market,
        # OLD: amount/basePrice/liquidationPrice/pnl may be null while a borrowing order has not
        # opened the position yet.
        amount=_signed_amount(_dec_or_zero(d.get("amount"), "amount"), side),
        base_price=_positive_or_none(d.get("basePrice"), "basePrice"),
        liquidation_price=_positive_or_none(d.get("liquidationPrice"), "liquidationPrice"),
        liquidation_state=_liq_state(d.get("liquidationState")),
        margin=_dec_or_zero(d.get("margin"), "margin"),
        free_margin=_dec_or_zero(d.get("freeMargin"), "freeMargin"),
        pnl=pnl,
        realized_pnl=realized,
        funding=_dec_or_zero(d.get("funding"), "funding"),
        unrealized_funding=_dec_or_zero(d.get("unrealizedFunding"), "unrealizedFunding"),
        position_side=side,
        open_time=_dec_opt(d.get("openDate"), "openDate"),
        modify_time=_dec_opt(d.get("modifyDate"), "modifyDate"),
        product=product_of(market),
    )


def parse_positions(data: Any) -> list[Position]:
    return [parse_position(row) for row in _list(data, "positions")]


def parse_ws_position(d: Mapping[str, Any]) -> Position:
    """One ``positionsMargin_update`` record (snake_case, amount negative for shorts)."""
    d = _obj(d, "position")
    market = _str(_req(d, "market"), "market")
    side = _position_side(d.get("position_side")) or PositionSide.BOTH
    amount = _dec_or_zero(d.get("amount"), "amount")
    if side is PositionSide.LONG and amount < 0:
        # The docs' own example pairs amount "-0.01" with "LONG" (inconsistent). The signed
        # amount is the more specific fact; the side label is treated as unreliable then.
        side = PositionSide.BOTH
    return Position(
        id=to_int(_req(d, "id"), "id"),
        market=market,
        amount=amount,
        base_price=_positive_or_none(d.get("base_price"), "base_price"),
        liquidation_price=_positive_or_none(d.get("liq_price"), "liq_price"),
        liquidation_state=_liq_state(d.get("liq_stage")),
        margin=_dec_or_zero(d.get("margin"), "margin"),
        free_margin=_dec_or_zero(d.get("free_margin"), "free_margin"),
        pnl=_dec_or_zero(d.get("pnl"), "pnl"),
        realized_pnl=_dec_or_zero(d.get("realized_pnl"), "realized_pnl"),
        funding=_dec_or_zero(d.get("funding"), "funding"),
        unrealized_funding=_dec_or_zero(d.get("unrealized_funding"), "unrealized_funding"),
        position_side=side,
        open_time=_dec_opt(d.get("ctime"), "ctime"),
        modify_time=_dec_opt(d.get("mtime"), "mtime"),
        product=product_of(market),
    )


def parse_ws_positions(params: Any) -> list[Position]:
    """``positionsMargin_update`` params ``{"total": n, "records": [...]}`` (full snapshot)."""
    if isinstance(params, list) and len(params) == 1 and isinstance(params[0], Mapping):
        params = params[0]  # tolerate a one-element array wrapper
    p = _obj(params, "params")
    return [parse_ws_position(r) for r in _list(p.get("records", []), "records")]


def parse_position_events(data: Any) -> list[PositionEvent]:
    out: list[PositionEvent] = []
    for row in _list(data, "positions/history"):
        row = _obj(row, "position event")
        detail = row.get("orderDetail")
        detail = detail if isinstance(detail, Mapping) else {}
        amount = _dec_or_zero(row.get("amount"), "amount")
        # 2026-04-29: ``positionSide`` was replaced by ``side`` + ``isHedge``; accept both.
        side = row.get("side")
        if isinstance(side, str) and side.upper() in ("LONG", "SHORT"):
            side_s = side.upper()
            is_hedge = _bool(row.get("isHedge"))
        else:
            ps = _position_side(row.get("positionSide"))
            if ps in (PositionSide.LONG, PositionSide.SHORT):
                side_s = ps.value
                is_hedge = _bool(row.get("isHedge")) if "isHedge" in row else False
            else:
                side_s = "SHORT" if amount < 0 else "LONG"
                is_hedge = False
        out.append(
            PositionEvent(
                position_id=to_int(_req(row, "positionId"), "positionId"),
                market=_str(_req(row, "market"), "market"),
                open_time=_dec_opt(row.get("openDate"), "openDate"),
                modify_time=_dec_opt(row.get("modifyDate"), "modifyDate"),
                amount=amount,
                base_price=_positive_or_none(row.get("basePrice"), "basePrice"),
                realized_funding=_dec_or_zero(row.get("realizedFunding"), "realizedFunding"),
                liquidation_price=_positive_or_none(row.get("liquidationPrice"), "liqPrice"),
                liquidation_state=_liq_state(row.get("liquidationState")),
                order_id=_int_opt(detail.get("id"), "orderDetail.id"),
                trade_amount=_dec_opt(detail.get("tradeAmount"), "tradeAmount"),
                trade_price=_dec_opt(detail.get("price"), "price"),
                trade_fee=_dec_opt(detail.get("tradeFee"), "tradeFee"),
                funding_fee=_dec_opt(detail.get("fundingFee"), "fundingFee"),
                realized_pnl=_dec_opt(detail.get("realizedPnl"), "realizedPnl"),
                side=side_s,
                is_hedge=is_hedge,
            )
        )
    return out


def parse_funding_history(data: Any) -> list[FundingPayment]:
    rows = data.get("records") if isinstance(data, Mapping) else data
    out: list[FundingPayment] = []
    for row in _list(rows, "records"):
        row = _obj(row, "funding")
        out.append(
            FundingPayment(
                market=_str(_req(row, "market"), "market"),
                funding_time=to_decimal(_req(row, "fundingTime"), "fundingTime"),
                funding_rate=_dec_or_zero(row.get("fundingRate"), "fundingRate"),
                funding_amount=_dec_or_zero(row.get("fundingAmount"), "fundingAmount"),
                position_amount=_dec_or_zero(row.get("positionAmount"), "positionAmount"),
                settlement_price=_dec_or_zero(row.get("settlementPrice"), "settlementPrice"),
            )
        )
    return out
