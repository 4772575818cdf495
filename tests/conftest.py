"""Test-session settings."""

import os

from hypothesis import settings

# CI explores the same examples on every run (a green main stays green); local runs
# keep drawing new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
