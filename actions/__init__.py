"""Hamyar's rasa-sdk actions. ``python -m actions.server`` (rasa-sdk's server, answering only Rasa) registers every module."""
