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


def default_catalog() -> dict[str, MarketSpec]:
    specs = [
        MarketSpec(
            _market("BTC_USDT", "BTC", 6, 2, "0.0001", "5", "0.1", "0.1"),
            start_price=D("65000.00"),
            volatility_bps=D("5"),
            base_id=1,
            quote_id=825,
            index_name="Bitcoin",
        ),
        MarketSpec(
            _market("ETH_USDT", "ETH", 4, 2, "0.001", "5", "0.1", "0.1"),
            start_price=D("3200.00"),
            volatility_bps=D("7"),
            base_id=1027,
            quote_id=825,
            index_name="Ethereum",
        ),
        MarketSpec(
            _market("BTC_PERP", "BTC", 6, 2, "0.0001", "5", "0.01", "0.055"),
            start_price=D("65010.00"),
            volatility_bps=D("5"),
            base_id=1,
            quote_id=825,
            index_name="Bitcoin",
            funding_rate=D("0.0001"),
        ),
        MarketSpec(
            _market("ETH_PERP", "ETH", 4, 2, "0.001", "5", "0.01", "0.055"),
            start_price=D("3201.00"),
            volatility_bps=D("7"),
            base_id=1027,
            quote_id=825,
            index_name="Ethereum",
            funding_rate=D("0.00005"),
        ),
    ]
    return {s.name: s for s in specs}


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
