"""Bot API objects as the stand-in (tests/telegram_api.py) answers them: the bot, users and
chat members, with the fields python-telegram-bot requires."""

from __future__ import annotations

from typing import Any

BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Newsdigest", "username": "newsdigest_bot"}
ADMIN_RIGHTS = dict.fromkeys(
    [
        "can_manage_chat",
        "can_delete_messages",
        "can_manage_video_chats",
        "can_restrict_members",
        "can_promote_members",
        "can_change_info",
        "can_invite_users",
        "can_post_stories",
        "can_edit_stories",
        "can_delete_stories",
    ],
    True,
)


def user_json(user_id: int) -> dict[str, Any]:
    """A user who is not a bot."""
    return {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}


def chat_member(user_id: int, *, is_admin: bool) -> dict[str, Any]:
    """getChatMember's answer: an administrator with every right, or a plain member."""
    if not is_admin:
        return {"status": "member", "user": user_json(user_id)}
    return {
        "status": "administrator",
        "user": user_json(user_id),
        "can_be_edited": False,
        "is_anonymous": False,
        **ADMIN_RIGHTS,
    }
