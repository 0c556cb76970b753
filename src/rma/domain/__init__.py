"""The returns domain in plain Python: no I/O, no framework."""
