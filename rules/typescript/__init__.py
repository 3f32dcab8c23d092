"""The TypeScript rules, one rule per name: `TS101_id_compare.yml` holds the code, the message, the docstring,
the valid/invalid examples and the tree-sitter `query:` that picks the nodes the rule looks at;
`TS101_id_compare.py` beside it, when there is one, holds the code that asks the data flow about them
(analyzer.typescript.rules explains the keys, analyzer.typescript.detect runs them). A rule without a module
is its query alone (`TS106_numeric_fallback.yml`)."""
