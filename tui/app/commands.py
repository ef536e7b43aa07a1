"""Command palette provider: every action of the registry (tui.app.actions) that runs from the
desk (the app's and the desk's), with its key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .actions import listing


class DeskCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        """(title, help, callback) for every app and desk action, when the palette is opened on
        the desk (``listing`` gives only those scopes)."""
        from .main_app import CollateralApp
        from .screens.desk import DeskScreen

        app, screen = self.app, self.screen
        if not isinstance(app, CollateralApp) or not isinstance(screen, DeskScreen):
            return
        for action, keys in listing(app.keymap_overrides, app.get_key_display):
            if action.id == "app.command_palette":  # already open: choosing it would do nothing
                continue
            target = app if action.scope == "app" else screen
            yield action.long, f"key: {keys}", partial(target.run_action, action.action)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
