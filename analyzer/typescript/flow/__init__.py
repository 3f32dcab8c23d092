"""Where the key flows: a fixed point over bindings of every file, linked through calls, JSX and URLs.

Sources: names that spell a key (`contentId`), `id` members of types tied to an affected backend
schema, and path parameters of URLs that match a backend route holding the key. The flow goes
forward (a key passed into a parameter makes the parameter a key) and backward (a parameter that is
a key makes the variable passed into it a key), through `Number()`/`parseInt`/`+` (remembered as
hazards), destructuring, props and `useState` setters, until nothing changes.

Layers, each a class built on the one before: `base` (tables) -> `types` -> `keys` (key expressions,
marking) -> `holders` (objects, collections, state) -> `calls` -> `jsx`; `keys` -> `routes` -> `seeds`;
`fixpoint.Project` joins them and runs the rounds.
"""

from analyzer.typescript.flow.fixpoint import Project
from analyzer.typescript.flow.routes import url_parts
from analyzer.typescript.flow.syntax import ARRAY_METHODS, CASTS, TypeRef

__all__ = ["ARRAY_METHODS", "CASTS", "Project", "TypeRef", "url_parts"]
