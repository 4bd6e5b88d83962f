"""Bare Django serving the public pages' queries, for `make bench` to measure each page against."""
