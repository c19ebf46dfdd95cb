"""The edges: every line that knows a chat platform or an output format lives here.

``commands`` holds the platform-neutral command logic; ``render`` turns neutral alerts and replies into
text; ``jsonl``, ``console`` (and later ``telegram``, ``slack``) are channels the dispatcher delivers through.
"""
