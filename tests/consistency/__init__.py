"""A test-only site on top of the production settings, and `make consistency`, which checks it under faults."""
