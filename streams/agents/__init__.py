"""Thin agents, timers and web pages wiring the app to the runtime and the pure core.

Each module has `register(app, ...)`, called by `streams.app.create_app`.
"""
