"""Words for people in their language: gettext catalogues (Babel), money and dates per locale.

The catalogues are the ``.po`` files under ``rma/locales``; each is compiled in memory the
first time it is needed, so a fresh clone, an editable install and a wheel all work with no
build step and no binary file in the repository. The language of what is being rendered
is held in a context variable: pages and emails set it around rendering (``speaking``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, get_currency_precision
from babel.support import Translations
from jinja2 import Environment

from rma.domain.storefront import LANGUAGES

LOCALES = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
_language: ContextVar[str] = ContextVar("rma_language", default="en")


@cache
def translations(language: str) -> NullTranslations:
    """The catalogue of ``language``, compiled from its ``.po`` file; English is the source."""
    po = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == "en" or not po.is_file():
        return NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def current_language() -> str:
    return _language.get()


@contextmanager
def speaking(language: str) -> Iterator[str]:
    """Render in ``language`` (one of ``LANGUAGES``, else English) inside the block."""
    token = _language.set(language if language in LANGUAGES else "en")
    try:
        yield _language.get()
    finally:
        _language.reset(token)


def N_(message: str) -> str:  # noqa: N802 (the name extraction tools look for)
    """Mark ``message`` for the catalogues; it is translated where it is shown."""
    return message


def gettext(message: str) -> str:
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_language.get()).ngettext(singular, plural, n)


def choose_language(accept_language: str, default: str) -> str:
    """The first of the browser's languages that rma speaks, else the seller's default."""
    wanted = []
    for part in accept_language.split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            wanted.append((quality, tag.strip()))
    ranked = [tag for _, tag in sorted(wanted, key=lambda pair: -pair[0])]
    for tag in ranked:
        base = tag.replace("_", "-").split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return default if default in LANGUAGES else "en"


def money(minor: int, currency: str = "USD") -> str:
    """``minor`` units of ``currency`` as people of the current language write it."""
    try:
        digits = get_currency_precision(currency)
    except Exception:  # an unknown code: two decimals, as most currencies have
        digits = 2
    amount = Decimal(minor).scaleb(-digits)
    return str(format_currency(amount, currency, locale=_locale()))


def day(at: datetime | None, timezone: str = "UTC") -> str:
    """The calendar day of ``at`` in ``timezone``, written out (``30 November 2026``)."""
    if not isinstance(at, datetime):
        return ""
    return str(format_date(at.astimezone(_zone(timezone)), format="long", locale=_locale()))


def last_day(closes_at: datetime | None, timezone: str = "UTC") -> str:
    """The last whole day before the instant ``closes_at`` (a window's midnight end)."""
    if not isinstance(closes_at, datetime):
        return ""
    return day(closes_at - timedelta(seconds=1), timezone)


def moment(at: datetime | None, timezone: str = "UTC") -> str:
    """Date and time of ``at`` in ``timezone``, with the zone's name."""
    if not isinstance(at, datetime):
        return ""
    local = at.astimezone(_zone(timezone))
    text = format_datetime(local, format="medium", locale=_locale())
    return f"{text} ({local.tzname()})"


def install(env: Environment) -> Environment:
    """Give ``env`` gettext (``_``, ``{% trans %}``) and the money and date filters."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    filters: dict[str, Any] = {
        "tr": gettext,  # a message held in a variable: translated, never %-formatted
        "amount": money,  # "money" stays the staff pages' code-and-figure form (USD 12.00)
        "day": day,
        "last_day": last_day,
        "moment": moment,
    }
    env.filters.update(filters)
    env.globals["current_language"] = current_language
    return env


def _locale() -> Locale:
    try:
        return Locale.parse(_language.get())
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
