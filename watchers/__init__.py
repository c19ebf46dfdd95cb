"""The news domain: bytes to articles, articles to matches, stories and summaries.

Nothing here knows about databases, chats or schedules; the one I/O it does is fetching, through an
injected ``httpx.AsyncClient``.
"""
