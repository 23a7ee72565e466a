"""warlens: timeline, claims and map of reporting on armed conflict, every item traced to its sentence."""

__version__ = "0.1.0"
