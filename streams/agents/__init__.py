"""Thin agents wiring topics, tables and sinks to the pure core. Importing registers them."""

from streams.agents import cases, sink, timers

__all__ = ["cases", "sink", "timers"]
