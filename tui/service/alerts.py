"""Position alerts: margin call, partial liquidation, near liquidation, liquidated.

:class:`AlertTracker` turns each change of a position into the alerts a trader must see, once
per episode: a margin call or a near-liquidation alert is raised again only after the position
has left that state. Positions the trader closes himself (``own_closes``) are never reported as
liquidated when they vanish, nor as partially liquidated when they shrink.
"""

from __future__ import annotations

from tui.domain import risk
from tui.domain.models import LiquidationState, Position

from .events import PositionAlert
from .gate import Thresholds


class AlertTracker:
    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds
        #: ids of positions closed by our own command, until they are gone from the stream
        self.own_closes: set[int] = set()
        self._raised: dict[int, set[str]] = {}  # position id -> alert kinds standing

    def changed(
        self, before: Position | None, now: Position, dist: risk.Distance | None
    ) -> list[PositionAlert]:
        """The alerts for ``now`` (``before``: the same position in the last snapshot, if any;
        ``dist``: its distance to liquidation at the current mark, if known)."""
        alerts: list[PositionAlert] = []
        raised = self._raised.setdefault(now.id, set())
        state = now.liquidation_state
        if state is LiquidationState.MARGIN_CALL and "margin_call" not in raised:
            raised.add("margin_call")
            alerts.append(
                PositionAlert("margin_call", now, state, f"{now.market} position in MARGIN CALL")
            )
        elif state is None:
            raised.discard("margin_call")
        if (
            before is not None
            and now.size < before.size
            and now.id not in self.own_closes
            and (before.liquidation_state is not None or state is not None)
        ):
            alerts.append(
                PositionAlert(
                    "partially_liquidated",
                    now,
                    state,
                    f"{now.market} position partially liquidated: "
                    f"{risk.fmt(before.size)} -> {risk.fmt(now.size)}",
                )
            )
        if dist is not None and dist.percent < self.thresholds.red:
            if "near" not in raised:
                raised.add("near")
                alerts.append(
                    PositionAlert(
                        "near_liquidation",
                        now,
                        state,
                        f"{now.market} is {risk.fmt(dist.percent, 2)}% from liquidation",
                    )
                )
        elif dist is not None:
            raised.discard("near")
        return alerts

    def vanished(self, last: Position, dist: risk.Distance | None) -> PositionAlert | None:
        """The alert for a position gone from the stream (``last``: its last snapshot), if it
        was not closed by us: liquidated when the exchange flagged it or the mark had crossed
        its liquidation price."""
        self._raised.pop(last.id, None)
        if last.id in self.own_closes:
            self.own_closes.discard(last.id)
            return None
        if last.liquidation_state is not None or (dist is not None and dist.absolute <= 0):
            return PositionAlert(
                "liquidated",
                last,
                LiquidationState.LIQUIDATION,
                f"{last.market} position LIQUIDATED",
            )
        return None
