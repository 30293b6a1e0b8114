"""The Telegram adapter on python-telegram-bot: commands in, HTML messages out.

app.TelegramAdapter runs the Application inside our event loop (long polling, or a webhook when
`[telegram] webhook_url` is set) and answers commands, channel posts and inline buttons through
the core's CommandRouter; publisher.TelegramPublisher sends replies and digests, paced by
pacing.TelegramPacer and with Telegram's errors translated into the core's
(publisher.open_telegram_publisher gives a sending-only process its own Bot); render turns a
Reply into HTML messages within Telegram's 4,096-unit limit; redaction keeps the token out of
the logs.
"""
