"""Reading and writing results: one table format (plain TSV, provenance in a sidecar JSON), atomic
writes, and the shards of the workflow's heavy work."""
