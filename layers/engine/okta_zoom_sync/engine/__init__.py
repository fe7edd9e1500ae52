"""The engine: one run of the sync (lease, reads, reconcile, checkpoint), talking to the adapters through ports."""
