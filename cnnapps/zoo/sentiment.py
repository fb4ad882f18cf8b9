"""Sentiment models (registered by the text-CNN work; placeholder until it lands)."""
