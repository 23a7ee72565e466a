"""warlens: timeline, claims and map of reporting on armed conflict.

Every event and claim is traced to the sentence it comes from.
"""

__version__ = "0.1.0"
