"""Heliograph: a self-hosted SMS/MMS gateway."""

__version__ = "0.1.0"
