"""Use cases: ingest a file, plan a day, dun a customer. Each takes the runtime's adapters."""
