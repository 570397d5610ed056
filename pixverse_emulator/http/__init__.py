"""The HTTP layer: the app, its routers, its pure-ASGI wrappers and the live server.

Routes stay thin: parse, one Emulator call, envelope.
"""
