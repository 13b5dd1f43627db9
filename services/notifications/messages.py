"""What an alert or a digest says, in the recipient's language, from templates an operator can change.

Templates are Jinja in a sandbox (an operator's template can read the values it is given and
nothing else); a placeholder the message does not have is an error, never an empty gap.
Numbers, money and dates are written the way the recipient's language writes them (Babel).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import structlog
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy.orm import Session

from backbone.db import utcnow
from services.notifications.models import Template

log = structlog.get_logger("notifications.messages")

LANGUAGES = ("it", "en")
KINDS = ("low_stock", "out_of_stock", "discrepancy", "digest")
LOCALES = {"it": "it_IT", "en": "en_GB"}

_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str


_LOW_IT = (
    "Scorte basse: {{ product }} presso {{ place }}. Rimasti {{ on_hand }}"
    "{% if days_of_cover is not none %}, circa {{ days_of_cover }} giorni di copertura{% endif %}"
    "{% if suggested is not none %}; consegna suggerita {{ suggested }}{% endif %}."
)
_LOW_EN = (
    "Low stock: {{ product }} at {{ place }}. {{ on_hand }} left"
    "{% if days_of_cover is not none %}, about {{ days_of_cover }} days of cover{% endif %}"
    "{% if suggested is not none %}; suggested delivery {{ suggested }}{% endif %}."
)
_DIGEST_IT = """Buongiorno {{ name }}, ecco il riepilogo di {{ date }}.
{% if sales %}
Venduto:
{% for sale in sales %}
- {{ sale.place }}: {{ sale.product }}, {{ sale.quantity }} ({{ sale.gross }})
{% endfor %}
Totale: {{ total }}
{% else %}
Nessuna vendita.
{% endif %}
{% if running_low %}
In esaurimento:
{% for item in running_low %}
- {{ item.product }} presso {{ item.place }}: rimasti {{ item.on_hand }}{% if item.suggested is not none %}, consegna suggerita {{ item.suggested }}{% endif %}

{% endfor %}
{% endif %}"""
_DIGEST_EN = """Good morning {{ name }}, here is your summary for {{ date }}.
{% if sales %}
Sold:
{% for sale in sales %}
- {{ sale.place }}: {{ sale.product }}, {{ sale.quantity }} ({{ sale.gross }})
{% endfor %}
Total: {{ total }}
{% else %}
No sales.
{% endif %}
{% if running_low %}
Running low:
{% for item in running_low %}
- {{ item.product }} at {{ item.place }}: {{ item.on_hand }} left{% if item.suggested is not none %}, suggested delivery {{ item.suggested }}{% endif %}

{% endfor %}
{% endif %}"""

DEFAULTS: dict[tuple[str, str], Wording] = {
    ("low_stock", "it"): Wording("Scorte basse: {{ product }} presso {{ place }}", _LOW_IT),
    ("low_stock", "en"): Wording("Low stock: {{ product }} at {{ place }}", _LOW_EN),
    ("out_of_stock", "it"): Wording(
        "Esaurito: {{ product }} presso {{ place }}", "Esaurito: {{ product }} presso {{ place }}. Rimasti {{ on_hand }}."
    ),
    ("out_of_stock", "en"): Wording(
        "Out of stock: {{ product }} at {{ place }}", "Out of stock: {{ product }} at {{ place }}. {{ on_hand }} left."
    ),
    ("discrepancy", "it"): Wording(
        "Serve un inventario: {{ product }}",
        "Giacenza incoerente: {{ product }} presso {{ place }} risulta {{ on_hand }}. Serve un inventario.",
    ),
    ("discrepancy", "en"): Wording(
        "Stocktake due: {{ product }}",
        "Stock mismatch: {{ product }} at {{ place }} shows {{ on_hand }}. A stocktake is due.",
    ),
    ("digest", "it"): Wording("Riepilogo di {{ date }}", _DIGEST_IT),
    ("digest", "en"): Wording("Your summary for {{ date }}", _DIGEST_EN),
}

#: values every template of a kind may use, to check an operator's template before storing it
_ALERT_SAMPLE = {
    "product": "Miele di castagno",
    "place": "Bottega di Dazio",
    "producer": "Apicoltura Bianchi",
    "on_hand": "2",
    "threshold": "3",
    "suggested": "4",
    "days_of_cover": "1,5",
    "reason": "threshold",
}
_ITEM = {"product": "Miele di castagno", "place": "Bottega di Dazio", "on_hand": "2", "suggested": "4", "days_of_cover": None}
SAMPLES = {
    "low_stock": _ALERT_SAMPLE,
    "out_of_stock": _ALERT_SAMPLE,
    "discrepancy": _ALERT_SAMPLE,
    "digest": {
        "name": "Apicoltura Bianchi",
        "date": "giovedì 12 marzo 2026",
        "sales": [{"place": "Bottega di Dazio", "product": "Miele di castagno", "quantity": "3", "gross": "25,50 €"}],
        "total": "25,50 €",
        "running_low": [_ITEM, {**_ITEM, "suggested": None}],
    },
}


class TemplateInvalid(ValueError):
    """An operator's template that does not render; `field` is subject or body."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def wording(*, session: Session, kind: str, language: str) -> Wording:
    """The operator's wording of a kind of message in a language, else the default."""
    language = language if language in LANGUAGES else "it"
    stored = session.get(Template, (kind, language))
    return Wording(stored.subject, stored.body) if stored is not None else DEFAULTS[(kind, language)]


def render(*, session: Session, kind: str, language: str, values: dict) -> tuple[str, str]:
    """(subject, text) of a message of `kind` in `language`; the default wording if the operator's fails."""
    chosen = wording(session=session, kind=kind, language=language)
    try:
        return _render(chosen.subject, values).strip(), _render(chosen.body, values).strip()
    except Exception as error:  # checked when stored, but real values can still trip it: the message must go out
        log.error("template failed, using the default", kind=kind, language=language, error=repr(error))
        default = DEFAULTS[(kind, language if language in LANGUAGES else "it")]
        return _render(default.subject, values).strip(), _render(default.body, values).strip()


def _render(source: str, values: dict) -> str:
    return _env.from_string(source).render(**values)


def check(kind: str, subject: str, body: str) -> None:
    """Raise TemplateInvalid unless both parts render with the values a message of `kind` has."""
    for field, source in (("subject", subject), ("body", body)):
        try:
            _render(source, SAMPLES[kind])
        except TemplateError as error:
            raise TemplateInvalid(field, f"The template does not render: {error}") from None
        except Exception as error:  # arithmetic on a text, a division by zero ...
            raise TemplateInvalid(field, f"The template fails on a sample message: {error!r}") from None


def store(*, session: Session, kind: str, language: str, subject: str, body: str) -> Template:
    """Save an operator's wording (checked first)."""
    check(kind, subject, body)
    template = session.get(Template, (kind, language))
    if template is None:
        template = Template(kind=kind, language=language, subject=subject, body=body, updated_at=utcnow())
        session.add(template)
    else:
        template.subject, template.body = subject, body
    return template


def reset(*, session: Session, kind: str, language: str) -> None:
    """Go back to the default wording."""
    template = session.get(Template, (kind, language))
    if template is not None:
        session.delete(template)


# -- how numbers read in each language -----------------------------------------------------------


def number(value: Decimal | None, language: str) -> str | None:
    """A quantity as the language writes it ("2,5" in Italian), None stays None."""
    if value is None:
        return None
    return format_decimal(value.normalize(), locale=LOCALES.get(language, "it_IT"), decimal_quantization=False)


def money(value: Decimal, language: str) -> str:
    """Euro as the language writes it."""
    return format_currency(value, "EUR", locale=LOCALES.get(language, "it_IT"))


def day(value: date, language: str) -> str:
    """A date in words, with its weekday ("giovedì 12 marzo 2026")."""
    return format_date(value, format="full", locale=LOCALES.get(language, "it_IT"))
