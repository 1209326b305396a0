"""Inbound sources, one module per vendor; each holds all of that vendor's quirks."""
