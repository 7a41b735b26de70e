"""Pure clearing domain: the double-entry ledger, prepayments, clearing cycles, gateway checks."""
