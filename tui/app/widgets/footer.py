"""``DeskFooter``: Textual's ``Footer`` without its no-op recomposes.

Textual's Footer rebuilds all of its keys (about 20 widgets on the desk, a few tens of ms) on
every ``bindings_updated`` signal, and the signal fires several times in a row for one change
(a focus change and the desk's own ``refresh_bindings``): at start-up that was two rebuilds
before the first frame and two more just after (bench: cold_start). This one rebuilds only when
what it shows has changed. It reads only public attributes of Textual 8.2.8's Footer
(``Screen.active_bindings``, ``App.get_key_display``, its reactives): re-check on upgrades.
"""

from __future__ import annotations

from textual.widgets import Footer


class DeskFooter(Footer):
    _shown: object = None

    def _signature(self) -> object:
        bindings = tuple(
            (
                binding.key,
                binding.action,
                binding.description,
                binding.tooltip,
                binding.group,
                self.app.get_key_display(binding),
                enabled,
                tooltip,
            )
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )
        return (
            self._bindings_ready,
            self.compact,
            self.show_command_palette,
            self.combine_groups,
            self.app.ENABLE_COMMAND_PALETTE,
            self.app.COMMAND_PALETTE_BINDING,
            bindings,
        )

    async def recompose(self) -> None:
        if not self.is_attached:
            return
        signature = self._signature()
        if signature == self._shown:
            return
        self._shown = signature
        await super().recompose()
