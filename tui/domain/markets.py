"""Static facts about the products that the service, the sandbox and the order form share."""

from __future__ import annotations

from decimal import Decimal

from .models import Product

#: Leverage values the account endpoint accepts (account-wide, margin and futures).
ACCOUNT_LEVERAGES: tuple[int, ...] = (1, 2, 3, 5, 10, 20, 50, 100)
#: Margin (spot pair) trading is capped at 10x (current WhiteBIT docs, quickstart margin tab).
MARGIN_LEVERAGES: tuple[int, ...] = (1, 2, 3, 5, 10)
FUTURES_LEVERAGES: tuple[int, ...] = ACCOUNT_LEVERAGES
MARGIN_MAX_LEVERAGE = 10

#: Maintenance margin rates. WhiteBIT publishes 3 % for 1x-10x on margin; futures brackets are
#: not published, so the sandbox uses 0.5 % (a 100x position has 1 % initial margin, so the
#: maintenance rate must sit below it). Documented in tui/sandbox/engine/ledger.py as well.
MAINTENANCE_MARGIN_RATE: dict[Product, Decimal] = {
    Product.MARGIN: Decimal("0.03"),
    Product.FUTURES: Decimal("0.005"),
}


def product_of(market: str) -> Product:
    """The market name alone picks the product: ``*_PERP`` is futures, a spot pair is margin."""
    return Product.FUTURES if market.upper().endswith("_PERP") else Product.MARGIN


def leverages_for(product: Product) -> tuple[int, ...]:
    return FUTURES_LEVERAGES if product is Product.FUTURES else MARGIN_LEVERAGES


def effective_leverage(account_leverage: int, product: Product) -> int:
    """Account leverage applies to both products; margin markets use at most 10x."""
    if product is Product.MARGIN:
        return min(account_leverage, MARGIN_MAX_LEVERAGE)
    return account_leverage
