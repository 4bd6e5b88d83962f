"""Helpers the tests and the load scripts share, one module per kind of thing."""
