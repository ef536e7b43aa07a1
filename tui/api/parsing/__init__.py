"""WhiteBIT JSON -> domain models. Pure functions, no I/O.

Input is JSON already decoded with ``parse_float=Decimal``: amounts are decimal strings (or,
for ``collateral-account/balance`` and timestamps, ``Decimal``/``int`` numbers). A ``float``
here means somebody decoded without ``parse_float=Decimal``; it is refused rather than silently
rounded. Any shape problem raises :class:`ParseError` (the REST client turns it into
``MalformedResponseError``; the stream reports it through ``on_error``).

REST is camelCase with side "buy"/"sell" and type strings; WebSocket is snake_case with side
1 = sell / 2 = buy, integer order types and a negative ``amount`` for shorts.
"""

from .account import (
    parse_account_summary,
    parse_balance_summary,
    parse_collateral_balance,
    parse_funding_history,
    parse_position,
    parse_position_events,
    parse_positions,
    parse_ws_position,
    parse_ws_positions,
)
from .markets import parse_futures, parse_market, parse_markets, parse_tickers
from .orders import (
    order_type_from_rest,
    order_type_from_ws,
    parse_conditional_oco_legs,
    parse_oco,
    parse_order,
    parse_order_history,
    parse_orders,
    parse_ws_order,
)
from .scalars import ParseError, loads, to_decimal, to_int

__all__ = [
    "ParseError",
    "loads",
    "order_type_from_rest",
    "order_type_from_ws",
    "parse_account_summary",
    "parse_balance_summary",
    "parse_collateral_balance",
    "parse_conditional_oco_legs",
    "parse_funding_history",
    "parse_futures",
    "parse_market",
    "parse_markets",
    "parse_oco",
    "parse_order",
    "parse_order_history",
    "parse_orders",
    "parse_position",
    "parse_position_events",
    "parse_positions",
    "parse_tickers",
    "parse_ws_order",
    "parse_ws_position",
    "parse_ws_positions",
    "to_decimal",
    "to_int",
]
