"""The benchmark harness behind scripts/bench.py: payloads, processes, load and the table."""
