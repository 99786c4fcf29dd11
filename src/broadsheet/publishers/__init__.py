"""The read ledger (what members read, per reader, article and day) and publishers' monthly
pay-per-read statements built from it."""
