"""Local stand-ins for the chat platforms' APIs: real HTTP servers on loopback for tests and demos."""
