"""The per-sample viewer (like ``inspect view``): static HTML pages per query."""
