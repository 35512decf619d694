"""Rolling per-seller statistics: bounded state, windows and seller-level signals (no Faust)."""
