"""Self-contained HTML report with inline SVG plots (no scripts or fonts from the network)."""
