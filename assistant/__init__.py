"""Cited question answering and summarisation over Arabic news, in Arabic and English."""
