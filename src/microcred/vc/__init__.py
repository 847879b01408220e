"""Standards core: Open Badges 3.0 / Verifiable Credentials 2.0, Data Integrity, DIDs, baking.

Framework-free: nothing in this package imports Django, so it can be tested, benchmarked and
reused (CLI verifier, library) on its own.
"""
