"""The data side of the key change: migration SQL for the closure."""

from analyzer.plan.migration import render_migration

__all__ = ["render_migration"]
