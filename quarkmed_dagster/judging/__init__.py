"""Pure judging logic: judge payloads (batched / per-item), strict verdict parsing, panel vote."""
