"""Pure benefits rules: months, levels, wage base, monthly entitlements, one-time benefits."""
