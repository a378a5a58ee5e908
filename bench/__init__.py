"""Benchmarks: live load (load.py), the store alone (store.py), the webapp on a big store
(webapp.py, with the store built by bigstore.py). `make bench` runs all three."""
