"""A reply's buttons as Discord buttons that run their command when pressed.

The command text is the button's custom_id, so a click needs no state kept per message and keeps
working after a restart: the adapter's on_interaction reads the command back from the custom_id.
The discord.ui.View only carries the components into the payload; it is stopped before sending
so that discord.py does not keep every view it ever sent (views without a timeout are kept
forever otherwise).
"""

from __future__ import annotations

import discord

from bot.replies import Button

CUSTOM_ID_PREFIX = "newsdigest:"
CUSTOM_ID_LIMIT = 100
LABEL_LIMIT = 80
BUTTONS_PER_MESSAGE = 25


def fits_as_button(button: Button) -> bool:
    """Whether Discord can carry this button's command in a custom_id."""
    return len(CUSTOM_ID_PREFIX + button.command) <= CUSTOM_ID_LIMIT


def button_view(buttons: tuple[Button, ...]) -> discord.ui.View:
    """A view holding the buttons, for a send's `view=`; it keeps no state after sending."""
    view = discord.ui.View(timeout=None)
    for button in buttons[:BUTTONS_PER_MESSAGE]:
        label = button.label if len(button.label) <= LABEL_LIMIT else button.label[:79] + "…"
        view.add_item(discord.ui.Button(label=label, custom_id=CUSTOM_ID_PREFIX + button.command))
    view.stop()
    return view


def command_of(interaction: discord.Interaction) -> str | None:
    """The command a pressed button runs, or None for any other interaction."""
    if interaction.type is not discord.InteractionType.component or not interaction.data:
        return None
    custom_id = str(interaction.data.get("custom_id", ""))
    return (
        custom_id.removeprefix(CUSTOM_ID_PREFIX)
        if custom_id.startswith(CUSTOM_ID_PREFIX)
        else None
    )
