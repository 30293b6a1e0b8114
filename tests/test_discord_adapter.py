"""The Discord adapter end to end: real discord.py against the local Discord REST and gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest

from adapters.discord.app import FAILURE_TEXT, DiscordAdapter
from bot.chats import Caller, ChatKind, ChatRef, Platform
from bot.commands import COMMANDS
from bot.config import DiscordConfig
from bot.errors import ConfigError, PermissionDenied
from bot.replies import Button, Heading, Paragraph, Reply, Section, Text, plain_reply
from tests.discord_api import DiscordStandIn
from tests.discord_interactions import CommandHidden
from tests.discord_payloads import MANAGE_GUILD, MEMBER_PERMISSIONS, message_errors

ADMIN_ID = "700000000000000009"
MODERATOR = MEMBER_PERMISSIONS | MANAGE_GUILD


class Router:
    """A stand-in for the core's CommandRouter: admins by user id, the reply echoes the command."""

    def __init__(self) -> None:
        self.calls: list[tuple[Caller, str]] = []
        self.reply: Reply | None = None
        self.release = asyncio.Event()
        self.release.set()

    async def handle(self, caller: Caller, text: str) -> Reply:
        self.calls.append((caller, text))
        await self.release.wait()
        name = text.split()[0].lstrip("/")
        if next(s for s in COMMANDS if s.name == name).admin_only and caller.user_id != ADMIN_ID:
            raise PermissionDenied("Only the bot's admins can do that.")
        return self.reply or plain_reply(f"ran {text}")


@pytest.fixture
async def discord_api() -> AsyncIterator[DiscordStandIn]:
    # Discord's 3-second deadline is tested on its own; a loaded CI machine must not trip it.
    async with DiscordStandIn(ack_deadline=30.0) as api:
        yield api
        assert api.unknown_routes == []


def _adapter(discord_api: DiscordStandIn, router: Router, token: str = "") -> DiscordAdapter:
    config = DiscordConfig(
        api_base=discord_api.api_base,
        gateway_url=discord_api.gateway_url + "/",
        token=token or discord_api.token,
    )
    return DiscordAdapter(config, router, answer_within=0.2, guild_ready_timeout=0.05)


@pytest.fixture
def router() -> Router:
    return Router()


@pytest.fixture
async def adapter(discord_api: DiscordStandIn, router: Router) -> AsyncIterator[DiscordAdapter]:
    adapter = _adapter(discord_api, router)
    await adapter.start()
    yield adapter
    await adapter.stop()


async def _answer(discord_api: DiscordStandIn, command: str, **kwargs: object) -> list[str]:
    """Run a command and return the text of its first answer, once it is there."""
    interaction = await discord_api.inject_interaction(command, **kwargs)  # type: ignore[arg-type]
    await discord_api.wait_for(
        lambda: bool(discord_api.interaction_messages(interaction.interaction_id))
    )
    return [
        m.content + "".join(e.get("description", "") for e in m.embeds)
        for m in discord_api.interaction_messages(interaction.interaction_id)
    ]


@pytest.mark.parametrize("spec", COMMANDS, ids=[s.name for s in COMMANDS])
async def test_every_command_reaches_the_router_and_is_answered(
    discord_api: DiscordStandIn, adapter: DiscordAdapter, router: Router, spec: object
) -> None:
    from bot.commands import CommandSpec

    assert isinstance(spec, CommandSpec)
    options = {a.name: f"v-{a.name}" for a in spec.arguments}
    answer = await _answer(
        discord_api, spec.name, options=options, permissions=MODERATOR, user_id=int(ADMIN_ID)
    )
    text = " ".join([f"/{spec.name}", *options.values()])
    assert router.calls[-1][1] == text
    assert answer == [f"ran {discord.utils.escape_markdown(text)}"]


async def test_the_caller_is_the_channel_and_its_permissions(
    discord_api: DiscordStandIn, adapter: DiscordAdapter, router: Router
) -> None:
    channel = discord_api.channel_ids[1]
    await _answer(discord_api, "subscribe", options={"time": "07:30"}, channel_id=channel)
    await _answer(discord_api, "settings", permissions=MODERATOR, user_id=42)
    member, moderator = router.calls[0][0], router.calls[1][0]
    assert member.chat.chat_id == str(channel)
    assert member.chat_kind is ChatKind.GROUP
    assert not member.is_chat_admin
    assert moderator.is_chat_admin
    assert moderator.user_id == "42"


async def test_a_direct_message_is_a_private_chat_its_user_administers(
    discord_api: DiscordStandIn, adapter: DiscordAdapter, router: Router
) -> None:
    dm_channel = 800_000_000_000_000_001
    assert await _answer(
        discord_api, "subscribe", channel_id=dm_channel, user_id=77, direct=True
    ) == ["ran /subscribe"]
    caller = router.calls[-1][0]
    assert (caller.chat.chat_id, caller.user_id) == (str(dm_channel), "77")
    assert caller.chat_kind is ChatKind.PRIVATE
    assert caller.is_chat_admin


async def test_admin_commands_need_manage_server_and_an_admin(
    discord_api: DiscordStandIn, adapter: DiscordAdapter, router: Router
) -> None:
    synced = {c["name"]: c["default_member_permissions"] for c in discord_api.commands}
    assert synced == {s.name: (str(MANAGE_GUILD) if s.admin_only else None) for s in COMMANDS}
    with pytest.raises(CommandHidden):
        await discord_api.inject_interaction("addsource", {"url": "https://a.example/feed"})
    answer = await _answer(
        discord_api, "addsource", options={"url": "https://a.example/feed"}, permissions=MODERATOR
    )
    assert answer == ["Only the bot's admins can do that."]
    [response] = discord_api.messages
    assert response.ephemeral


async def test_a_slow_answer_is_deferred_then_edited_in(
    discord_api: DiscordStandIn, adapter: DiscordAdapter, router: Router
) -> None:
    router.release.clear()
    router.reply = Reply(
        sections=(Section((Paragraph((Text("ran /digest"),)),)),),
        buttons=(Button("More", "/latest 5 +5"),),
    )
    interaction = await discord_api.inject_interaction("digest")
    await discord_api.wait_for(lambda: interaction.callback_types == [5])
    router.release.set()
    await discord_api.wait_for(
        lambda: bool(discord_api.interaction_messages(interaction.interaction_id))
    )
    [edit] = discord_api.interaction_messages(interaction.interaction_id)
    assert edit.kind == "edit"
    assert edit.embeds[0]["description"] == "ran /digest"
    [[button]] = [row["components"] for row in edit.body["components"]]
    assert button["custom_id"] == "newsdigest:/latest 5 +5"


async def test_a_slow_ephemeral_answer_replaces_the_public_thinking_message(
    discord_api: DiscordStandIn, adapter: DiscordAdapter, router: Router
) -> None:
    router.release.clear()
    interaction = await discord_api.inject_interaction("stats", permissions=MODERATOR)
    await discord_api.wait_for(lambda: interaction.callback_types == [5])
    router.release.set()
    await discord_api.wait_for(
        lambda: bool(discord_api.interaction_messages(interaction.interaction_id))
    )
    [followup] = discord_api.interaction_messages(interaction.interaction_id)
    assert followup.kind == "followup"
    assert followup.ephemeral


async def test_a_long_reply_is_the_response_then_followups_in_order(
    discord_api: DiscordStandIn, adapter: DiscordAdapter, router: Router
) -> None:
    words = " ".join(f"w{i}" for i in range(400))
    router.reply = Reply(
        sections=tuple(
            Section((Heading((Text(f"Story {n}"),)), Paragraph((Text(words),)))) for n in range(30)
        )
    )
    interaction = await discord_api.inject_interaction("latest", {"n": "30"})
    await discord_api.wait_for(lambda: sum(len(m.embeds) for m in discord_api.messages) == 30)
    messages = discord_api.interaction_messages(interaction.interaction_id)
    assert [m.kind for m in messages] == ["response"] + ["followup"] * (len(messages) - 1)
    assert all(message_errors(m.body) == {} for m in messages)
    titles = [e["title"] for m in messages for e in m.embeds]
    assert titles == [f"Story {n}" for n in range(30)]


async def test_a_button_runs_its_command(
    discord_api: DiscordStandIn, adapter: DiscordAdapter, router: Router
) -> None:
    router.reply = Reply(
        sections=(Section((Paragraph((Text("five stories"),)),)),),
        buttons=(Button("More", "/latest 5 +5"),),
    )
    await _answer(discord_api, "latest", options={"n": "5"})
    [message] = discord_api.messages
    [[button]] = [row["components"] for row in message.body["components"]]
    assert button["custom_id"] == "newsdigest:/latest 5 +5"
    click = await discord_api.click(message, "More")
    await discord_api.wait_for(
        lambda: bool(discord_api.interaction_messages(click.interaction_id))
    )
    assert router.calls[-1][1] == "/latest 5 +5"
    assert router.calls[-1][0].chat.chat_id == str(message.channel_id)


async def test_a_failing_command_gets_an_ephemeral_error(
    discord_api: DiscordStandIn, adapter: DiscordAdapter, router: Router
) -> None:
    router.reply = Reply(sections=(Section(()),), buttons=())
    router.handle = _broken  # type: ignore[method-assign]
    answer = await _answer(discord_api, "search", options={"words": "bridge"})
    assert answer == [discord.utils.escape_markdown(FAILURE_TEXT)]
    assert discord_api.messages[0].ephemeral


async def _broken(caller: Caller, text: str) -> Reply:
    raise RuntimeError("the store is on fire")


async def test_replies_never_ping(
    discord_api: DiscordStandIn, adapter: DiscordAdapter, router: Router
) -> None:
    router.reply = plain_reply("@everyone <@123456789012345678> **read this**")
    await _answer(discord_api, "latest")
    [message] = discord_api.messages
    assert message.body["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in message.embeds[0]["description"]
    assert "**read" not in message.embeds[0]["description"]


async def test_commands_are_synced_once_not_again_on_a_restart(
    discord_api: DiscordStandIn, adapter: DiscordAdapter, router: Router
) -> None:
    assert adapter.commands_synced
    await adapter.stop()
    again = _adapter(discord_api, router)
    await again.start()
    try:
        assert not again.commands_synced
        assert discord_api.command_overwrites == 1
        assert await _answer(discord_api, "help") == ["ran /help"]
    finally:
        await again.stop()


async def test_changed_commands_are_synced_again(
    discord_api: DiscordStandIn, adapter: DiscordAdapter, router: Router
) -> None:
    await adapter.stop()
    discord_api.commands[0]["description"] = "an older description"
    again = _adapter(discord_api, router)
    await again.start()
    await again.stop()
    assert again.commands_synced
    assert discord_api.command_overwrites == 2


async def test_reconnect_then_resume_keeps_working(
    discord_api: DiscordStandIn, adapter: DiscordAdapter
) -> None:
    await discord_api.send_reconnect()
    await discord_api.wait_for(lambda: discord_api.resumes == 1)
    assert await _answer(discord_api, "sources") == ["ran /sources"]
    assert discord_api.identifies == 1


async def test_a_gateway_that_never_gets_ready_does_not_hold_up_delivery(
    discord_api: DiscordStandIn, router: Router
) -> None:
    discord_api.gateway.answer_identify = False
    config = DiscordConfig(
        api_base=discord_api.api_base, gateway_url=discord_api.gateway_url, token="test-token"
    )
    adapter = DiscordAdapter(config, router, ready_within=0.2)
    await adapter.start()
    try:
        channel = discord_api.channel_ids[0]
        await adapter.publisher.publish(ChatRef(Platform.DISCORD, str(channel)), plain_reply("x"))
        assert len(discord_api.channel_messages(channel)) == 1
        assert adapter.commands_synced
        assert not adapter.client.is_ready()
    finally:
        await adapter.stop()


async def test_stop_restores_discords_endpoints(
    discord_api: DiscordStandIn, router: Router
) -> None:
    adapter = _adapter(discord_api, router)
    await adapter.start()
    assert discord_api.api_base == discord.http.Route.BASE
    await adapter.stop()
    assert discord.http.Route.BASE == "https://discord.com/api/v10"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"


async def test_a_rejected_token_is_a_config_error(
    discord_api: DiscordStandIn, router: Router
) -> None:
    adapter = _adapter(discord_api, router, token="wrong")
    with pytest.raises(ConfigError, match=r"discord\.token"):
        await adapter.start()
    assert discord.http.Route.BASE == "https://discord.com/api/v10"


async def test_a_late_acknowledgement_is_refused_and_the_adapter_carries_on(
    discord_api: DiscordStandIn, adapter: DiscordAdapter
) -> None:
    discord_api.ack_deadline = 0.0
    late = await discord_api.inject_interaction("help")
    await discord_api.wait_for(lambda: late.errors == [10062])
    discord_api.ack_deadline = 30.0
    assert await _answer(discord_api, "help") == ["ran /help"]
    assert discord_api.interaction_messages(late.interaction_id) == []


async def test_a_second_acknowledgement_is_refused(
    discord_api: DiscordStandIn, adapter: DiscordAdapter
) -> None:
    interaction = await discord_api.inject_interaction("help")
    await discord_api.wait_for(lambda: interaction.callback_types == [4])
    url = (
        f"{discord_api.api_base}/interactions/{interaction.interaction_id}"
        f"/{interaction.token}/callback"
    )
    async with aiohttp.ClientSession() as session, session.post(url, json={"type": 5}) as answer:
        assert answer.status == 400
        assert (await answer.json())["code"] == 40060


async def test_the_adapter_publishes_digests_over_its_rest_session(
    discord_api: DiscordStandIn, adapter: DiscordAdapter
) -> None:
    channel = discord_api.channel_ids[2]
    message_id = await adapter.publisher.publish(
        ChatRef(Platform.DISCORD, str(channel)), plain_reply("Your digest")
    )
    [message] = discord_api.channel_messages(channel)
    assert str(message.message_id) == message_id
