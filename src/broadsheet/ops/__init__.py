"""Running Broadsheet: health and readiness, metrics, the worker's heartbeat."""
