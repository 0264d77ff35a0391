"""Vector, lexical and embedding infrastructure wrapped for the assistant."""
