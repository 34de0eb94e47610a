"""Hamyar's own Rasa components. Imported only inside the Rasa environment."""
