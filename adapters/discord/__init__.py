"""The Discord adapter on discord.py: slash commands in, embeds out, digests posted over REST.

app.DiscordAdapter runs the gateway session and answers slash commands and buttons through the
core's CommandRouter; publisher.DiscordPublisher posts scheduled digests over REST alone
(publisher.rest_client logs in without a gateway, for worker processes); render turns a Reply
into messages within Discord's limits; endpoints points discord.py at `[discord] api_base` and
`gateway_url`.
"""
