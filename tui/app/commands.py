"""Command palette provider: every desk action, with its current key."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .bindings import help_rows


class DeskCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, str]]:
        """(title, help, action) for every action of the screen the palette was opened on."""
        from .screens.desk import DeskScreen

        screen = self.screen
        if not isinstance(screen, DeskScreen):
            return
        for keys, description, _binding_id, action in help_rows(self.app, with_actions=True):
            yield f"{description}", f"key: {keys}", action

    async def discover(self) -> Hits:
        for title, help_text, action in self._commands():
            yield DiscoveryHit(title, partial(self.screen.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self.screen.run_action, action),
                    help=help_text,
                )
