"""Reading and writing results: one table format (TSV with ``# key: value`` provenance lines), atomic
writes, and the shards of the workflow's heavy work."""
