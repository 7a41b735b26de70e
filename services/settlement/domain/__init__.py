"""Pure settlement domain: adjudication, working-day deadlines, claim decisions. No I/O."""
