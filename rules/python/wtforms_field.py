from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid

from analyzer.models import NOT_BIGINT, Edit, Finding
from analyzer.python import facts

_PACKAGES = ("wtforms", "flask_wtf")
_FORMS = ("FlaskForm", "Form", "BaseForm", "SecureForm")
#: choice fields whose `coerce=int` turns the submitted value into the key
_CHOICES = ("SelectField", "SelectMultipleField", "RadioField")
_HEAD = ("from flask_wtf import FlaskForm\n"
         "from wtforms import IntegerField, RadioField, SelectField, SelectMultipleField, StringField\n"
         "from wtforms.validators import DataRequired\n"
         "from app.models import ContentItem\n")


class WtformsField(PyRule):
    """A WTForms form field that holds the key as an integer: `IntegerField`, or a choice field with `coerce=int`.

    Anti-pattern: `content_id = SelectField("Content", coerce=int)` with `form.content_id.choices = [(c.id, c.title)
    for c in ContentItem.query]`, or `content_id = IntegerField(validators=[DataRequired()])` — after the change
    every submitted form fails validation ("Not a valid choice", "Not a valid integer value"). Best practice:
    `coerce=uuid.UUID` (`coerce=str` for a text key); a `StringField` with the `UUID()` validator instead of the
    IntegerField.

    Not for bigint: WTForms' int coercion has no width.
    """

    code, name, layer, kind = "PY024", "wtforms.field", "pydantic", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [
        # a page size, another table's id, a text field named like the key, a choice coerced as text
        Valid(_HEAD + "class FilterForm(FlaskForm):\n    per_page = IntegerField(default=20)\n"
                      "    user_id = SelectField('Author', coerce=int)\n    content_id = StringField()\n"
                      "    sort = SelectField(choices=[('new', 'Newest'), ('old', 'Oldest')])\n"),
        # choices fed with another table's ids
        Valid(_HEAD + "from app.models import User\n"
                      "class AssignForm(FlaskForm):\n    owner = SelectField('Owner', coerce=int)\n"
                      "def assign_form():\n    form = AssignForm()\n"
                      "    form.owner.choices = [(u.id, u.email) for u in User.query.all()]\n    return form\n"),
    ]
    INVALID = [
        Invalid(_HEAD + "class MoveImageForm(FlaskForm):\n"
                        "    content_id = SelectField('Content', coerce=int, validators=[DataRequired()])\n",
                line=6, message_contains="coerce=int",
                expected_fix="    content_id = SelectField('Content', coerce=uuid.UUID, validators=[DataRequired()])"),
        # named like nothing: the choices a view gives it are the key's
        Invalid(_HEAD + "class PickForm(FlaskForm):\n    target = RadioField('Target', coerce=int)\n"
                        "def pick_form():\n    form = PickForm()\n"
                        "    form.target.choices = [(c.id, c.title) for c in ContentItem.query.all()]\n"
                        "    return form\n",
                line=6, message_contains="choices", expected_fix="    target = RadioField('Target', coerce=uuid.UUID)"),
        # named after the key's table (singular or plural): its id; `owner` is another's
        Invalid(_HEAD + "class MoveForm(FlaskForm):\n    owner = SelectField('Owner', coerce=int)\n"
                        "    content_item = SelectField('Item', coerce=int)\n",
                line=7, message_contains="named after the key's table",
                expected_fix="    content_item = SelectField('Item', coerce=uuid.UUID)"),
        Invalid(_HEAD + "class BulkForm(FlaskForm):\n    content_ids = SelectMultipleField(coerce=int)\n",
                line=6, to="TEXT", expected_fix="    content_ids = SelectMultipleField(coerce=str)"),
        # an integer input: reported for review (no UUID field in WTForms: a StringField with the UUID() validator)
        Invalid(_HEAD + "class ReportForm(FlaskForm):\n"
                        "    content_id = IntegerField('Content', validators=[DataRequired()])\n",
                line=6, message_contains="IntegerField"),
    ]
    VALID = [*VALID, Valid.like(INVALID[0], to="BIGINT")]  # the same code is right for bigint

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        if "wtforms" not in ctx.pf.text and "flask_wtf" not in ctx.pf.text:
            return
        forms: set[str] = set()
        for cls in ctx.pf.classes:  # in file order: a project's base form before its subclasses
            if any(ctx.pf.resolves_to(b.value, *_FORMS, packages=_PACKAGES)
                   or (isinstance(b.value, cst.Name) and b.value.value in forms) for b in cls.bases):
                forms.add(cls.name.value)
        if not forms:
            return
        fed = self._fed_choices(ctx)
        entities = ctx.entity_names()
        new, imp = ctx.model.python_type()
        for cls in ctx.pf.classes:
            if cls.name.value not in forms:
                continue
            for attr in facts.class_attrs(cls):
                call = attr.value
                if not isinstance(call, cst.Call) or attr.name == "id":
                    continue
                why = fed.get(attr.name) or (f"`{attr.name}` is named like {ctx.model.key_names[attr.name]}"
                                             if attr.name in ctx.model.key_names else None) or (
                    f"`{attr.name}` is named after the key's table {entities[attr.name]}"
                    if attr.name in entities else None)
                if why is None:
                    continue
                symbol = f"{cls.name.value}.{attr.name}"
                if ctx.pf.resolves_to(call.func, "IntegerField", packages=_PACKAGES):
                    yield ctx.finding(self, attr.stmt, symbol, f"form field `{attr.name}` holds the key as an "
                                      f"`IntegerField`", evidence=why,
                                      review="a StringField with the UUID() validator (wtforms.validators), "
                                             "and the value converted where the view reads it")
                    continue
                coerce = facts.kwarg(call, "coerce")
                if coerce is None or not isinstance(coerce.value, cst.Name) or coerce.value.value != "int" \
                        or not ctx.pf.resolves_to(call.func, *_CHOICES, packages=_PACKAGES):
                    continue
                start, end = ctx.pf.offsets(coerce.value)
                edits = (Edit(start, end, new, requires_import=imp),) if new else ()
                yield ctx.finding(self, attr.stmt, symbol, f"form field `{attr.name}` turns the key into an int "
                                  f"(`coerce=int`)", evidence=why, edits=edits)

    @staticmethod
    def _fed_choices(ctx: FileCtx) -> dict[str, str]:
        """Fields whose choices are the key's: `form.target.choices = [(c.id, c.title) for c in ...]`."""
        out: dict[str, str] = {}
        for entry in ctx.pf.of(cst.Assign):
            node = entry.node
            assert isinstance(node, cst.Assign)
            target = node.targets[0].target if len(node.targets) == 1 else None
            if not (isinstance(target, cst.Attribute) and target.attr.value == "choices"
                    and isinstance(target.value, cst.Attribute)):
                continue
            value = node.value
            elements = [value.elt] if isinstance(value, (cst.ListComp, cst.GeneratorExp)) else \
                [e.value for e in value.elements] if isinstance(value, (cst.List, cst.Tuple)) else []
            for el in elements:
                if isinstance(el, cst.Tuple) and el.elements:
                    ev = ctx.key(entry.func, el.elements[0].value)
                    if ev is not None:
                        out.setdefault(target.value.attr.value, f"its choices are `{ctx.pf.code(el)}`: {ev[0]}")
                        break
        return out
