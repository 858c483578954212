"""What every context shares: the clock and the error root."""
