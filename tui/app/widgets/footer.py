"""``DeskFooter``: Textual's ``Footer`` without its no-op recomposes.

Textual's Footer rebuilds all of its keys (about 20 widgets on the desk, a few tens of ms) on
every ``bindings_updated`` signal, and the signal fires several times in a row for one change
(a focus change and the desk's own ``refresh_bindings``): at start-up that was two rebuilds
before the first frame and two more just after (bench: cold_start). This one rebuilds only when
what it shows has changed. It reads only public attributes of Textual 8.2.8's Footer
(``Screen.active_bindings``, ``App.get_key_display``, its reactives): re-check on upgrades.

It also starts empty and shows its keys when the desk calls :meth:`release`, just after the
desk's first frame (that first rebuild is ~10 widgets styled and laid out; bench: cold_start).
"""

from __future__ import annotations

from textual.widgets import Footer


class DeskFooter(Footer):
    _shown: object = None
    _held = True  # until release(): no keys yet

    def release(self) -> None:
        """Show the keys from now on (the desk calls this once, after its first frame)."""
        if self._held:
            self._held = False
            self._bindings_ready = True
            self.call_later(self.recompose)  # (composed in the footer's own context)

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
        if self._held or not self.is_attached:
            return
        signature = self._signature()
        if signature == self._shown:
            return
        self._shown = signature
        await super().recompose()
