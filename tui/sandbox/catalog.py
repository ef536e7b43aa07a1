"""The sandbox's market catalog: two margin pairs and two perpetuals with realistic facts.

Leverage sets, maximum leverage and maintenance margin rates come from ``tui.domain.markets``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tui.domain.markets import (
    MAINTENANCE_MARGIN_RATE,
    MARGIN_MAX_LEVERAGE,
    leverages_for,
    product_of,
)
from tui.domain.models import Market, Product

D = Decimal
NO_FUNDING = D("0")
FUNDING_CAP = D("0.003")
FUNDING_FLOOR = D("-0.003")


@dataclass(frozen=True, slots=True)
class MarketSpec:
    market: Market
    start_price: Decimal
    #: one tick moves the price by a uniform random amount in +-volatility_bps basis points
    volatility_bps: Decimal
    base_id: int  # coin ids reported by /public/ticker (CoinMarketCap ids, as WhiteBIT does)
    quote_id: int
    index_name: str
    #: predicted funding rate per period for perpetuals (positive = longs pay shorts)
    funding_rate: Decimal = NO_FUNDING
    funding_cap: Decimal = FUNDING_CAP
    funding_floor: Decimal = FUNDING_FLOOR

    @property
    def name(self) -> str:
        return self.market.name

    @property
    def mmr(self) -> Decimal:
        return MAINTENANCE_MARGIN_RATE[self.market.product]

    @property
    def is_futures(self) -> bool:
        return self.market.product is Product.FUTURES


def _market(
    name: str,
    base: str,
    amount_precision: int,
    price_precision: int,
    min_amount: str,
    min_total: str,
    maker_fee: str,
    taker_fee: str,
) -> Market:
    product = product_of(name)
    leverages = leverages_for(product)
    return Market(
        name=name,
        product=product,
        base=base,
        quote="USDT",
        amount_precision=amount_precision,
        price_precision=price_precision,
        min_amount=D(min_amount),
        min_total=D(min_total),
        max_total=D("0"),
        maker_fee=D(maker_fee),
        taker_fee=D(taker_fee),
        leverages=leverages,
        max_leverage=MARGIN_MAX_LEVERAGE if product is Product.MARGIN else max(leverages),
    )


#: Per base asset: amount precision, minimum amount (= amount step), volatility in basis points
#: per tick, CoinMarketCap id (what /public/ticker reports) and index name.
_ASSETS = {
    "BTC": (6, "0.0001", "5", 1, "Bitcoin"),
    "ETH": (4, "0.001", "7", 1027, "Ethereum"),
}
#: Per market: base asset, maker fee, taker fee (percent), start price, funding rate per period.
_MARKETS = (
    ("BTC_USDT", "BTC", "0.1", "0.1", "65000.00", NO_FUNDING),
    ("ETH_USDT", "ETH", "0.1", "0.1", "3200.00", NO_FUNDING),
    ("BTC_PERP", "BTC", "0.01", "0.055", "65010.00", D("0.0001")),
    ("ETH_PERP", "ETH", "0.01", "0.055", "3201.00", D("0.00005")),
)
USDT_ID = 825


def default_catalog() -> dict[str, MarketSpec]:
    specs = {}
    for name, base, maker_fee, taker_fee, start, funding_rate in _MARKETS:
        precision, min_amount, volatility, base_id, index_name = _ASSETS[base]
        specs[name] = MarketSpec(
            _market(name, base, precision, 2, min_amount, "5", maker_fee, taker_fee),
            start_price=D(start),
            volatility_bps=D(volatility),
            base_id=base_id,
            quote_id=USDT_ID,
            index_name=index_name,
            funding_rate=funding_rate,
        )
    return specs


#: Futures leverage brackets as /public/futures reports them: leverage -> maximum position size in
#: USDT at that tier, 0 = no cap. Reported only; the sandbox does not enforce them.
FUTURES_BRACKETS: dict[str, int] = {
    "1": 0,
    "2": 0,
    "3": 0,
    "5": 0,
    "10": 0,
    "20": 0,
    "50": 2_000_000,
    "100": 500_000,
}
