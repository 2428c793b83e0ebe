"""Email rendering: `templates/emails/<name>.html` (extends base.html, sets `subject`) and
`<name>.txt` make one message, with amounts through the `money` filter."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from core.money import format_money

TEMPLATES = Path(__file__).parent.parent / "templates" / "emails"

_jinja = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_jinja.filters["money"] = format_money


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    html: str
    text: str


def render_email(template: str, to: str, **context: Any) -> Email:
    """`<name>.html` (extends base.html, sets `subject`) and `<name>.txt` make one message."""
    html_template = _jinja.get_template(f"{template}.html")
    html = html_template.render(**context)
    subject = html_template.make_module(context).subject
    text = _jinja.get_template(f"{template}.txt").render(**context)
    # The subject is a plain-text header: undo the HTML escaping autoescape applied, and fold
    # any line break from user text (a header may not contain one; the send would fail forever).
    plain_subject = " ".join(Markup(subject).unescape().split())  # noqa: S704
    return Email(to=to, subject=plain_subject, html=html, text=text)
