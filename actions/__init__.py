"""Hamyar's rasa-sdk actions. ``python -m rasa_sdk --actions actions`` registers every module."""
