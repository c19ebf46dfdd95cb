"""Local emulators of the chat platforms: real HTTP (and websocket) servers on loopback.

They let the tests run the real client libraries, let the demo show a chat, and let a developer try the
bot without tokens. Nothing here is used in production wiring.
"""
