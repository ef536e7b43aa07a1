"""Timers: futures funding rounds and borrow interest on margin positions.

- Borrow interest (margin markets only; WhiteBIT help centre: 0.0585 % per day): every
  ``interest_interval`` seconds ``unrealized_funding += borrowed * 0.000585 * interval/86400`` with
  ``borrowed = size*entry - margin``. It is settled (``B -= unrealized_funding``,
  ``funding += unrealized_funding``) whenever the position changes (trade, liquidation, close).
- Futures funding (PERP only): every ``funding_interval`` seconds each position pays
  ``size*last*rate`` to the balance (long pays when the rate is positive, short receives); it is
  recorded in funding history and never touches the position's ``funding`` fields (always 0 on
  PERP, as WhiteBIT documents). With a live price walk the predicted rate drifts within
  ``funding_floor..funding_cap``.
- After a long downtime (more than three intervals) one round is run and the timer realigns.
"""

from __future__ import annotations

from decimal import Decimal

from tui.domain import risk

from .ledger import Ledger
from .records import MONEY_Q, D, cap

#: Borrow interest on margin positions, fraction per day (help centre: 0.0585 % per day).
MARGIN_DAILY_INTEREST = D("0.000585")
FUNDING_Q = D("1e-16")


class Funding(Ledger):
    # -- timers: funding and interest -----------------------------------------------------------
    def run_due(self) -> None:
        now = self.now()
        interval = D(str(self.options.funding_interval))
        if interval > 0 and now >= self.next_funding:
            if now - self.next_funding > interval * 3:  # long downtime: one round, realign
                self.next_funding = now
            while now >= self.next_funding:
                self._funding_round(self.next_funding)
                self.next_funding += interval
        interval = D(str(self.options.interest_interval))
        if interval > 0 and now >= self.next_interest:
            if now - self.next_interest > interval * 3:
                self.next_interest = now
            while now >= self.next_interest:
                self._accrue_interest(interval)
                self.next_interest += interval

    def _funding_round(self, when: Decimal) -> None:
        for name, rate in self.funding_rates.items():
            price = self.prices[name]
            self.funding_rounds.append(
                {
                    "market": name,
                    "fundingTime": when,
                    "fundingRate": rate,
                    "settlementPrice": price,
                    "rateCalculatedTime": when,
                }
            )
            for pos in self.open_positions(name):
                paid = (risk.notional(pos.size, price) * rate).quantize(MONEY_Q)
                amount = -paid if pos.direction == "long" else paid
                self.balance = self.balance + amount
                self.funding_payments.append(
                    {
                        "market": name,
                        "fundingTime": when,
                        "fundingRate": rate,
                        "fundingAmount": amount,
                        "positionAmount": pos.signed_amount,
                        "settlementPrice": price,
                        "rateCalculatedTime": when,
                    }
                )
                self._emit("balance")
            if not self.options.static_prices:
                spec = self.catalog[name]
                drift = D(self.rng.randint(-5, 5)) / D(100_000)
                self.funding_rates[name] = min(
                    spec.funding_cap, max(spec.funding_floor, rate + drift)
                )
        cap(self.funding_rounds)
        cap(self.funding_payments)

    def _accrue_interest(self, interval: Decimal) -> None:
        for pos in self.positions.values():
            borrowed = self.borrowed(pos)
            if borrowed > 0:
                accrual = borrowed * MARGIN_DAILY_INTEREST * interval / D(86400)
                pos.unrealized_funding = (pos.unrealized_funding + accrual).quantize(FUNDING_Q)
                self.touched_positions.add(pos.id)

    def funding_interval_minutes(self) -> int:
        return max(1, int(D(str(self.options.funding_interval)) / 60))
