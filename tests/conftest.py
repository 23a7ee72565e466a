"""Settings shared by every test."""

from hypothesis import settings

# CI machines are shared and noisy: property tests check behaviour, never speed.
settings.register_profile("warlens", deadline=None)
settings.load_profile("warlens")
