"""impact: what does it take to change this key? Schema introspection and codebase impact analysis."""

__version__ = "0.1.0"
