"""Basis-trade knowledge bot: the answering engine and its Discord layer."""
