"""Telling citizens later: case changes they subscribed to, and operators' announcements."""
