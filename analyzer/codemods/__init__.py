"""Turn the edits carried by findings into patches: one unified diff per file, git-apply compatible.

Detection decides *what* changes (rules attach `Edit`s); this package only applies them, adds the
imports they require once per file, and writes diffs. Every byte outside the edited spans is kept.
"""

from analyzer.codemods.apply import apply_edits, build_patches, unified_diff

__all__ = ["apply_edits", "build_patches", "unified_diff"]
