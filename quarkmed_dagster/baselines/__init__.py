"""Deterministic offline baselines served as litellm custom providers (labelled baseline)."""
