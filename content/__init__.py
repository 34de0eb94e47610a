"""Guides and FAQs: articles in files, published to Redis, searched for every how-to question."""
