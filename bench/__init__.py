"""Benchmarks, run by `make bench`: each `bench_<name>.py` module has a `main()`."""
