"""Pure scoring: QuarkMedBench Eq. 2 (tiers, truncation, saturation) and HealthBench mode."""
