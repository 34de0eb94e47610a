"""The gateway: channels in, one routing path to Rasa, replies rendered back per channel."""
