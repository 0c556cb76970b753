"""The shipped catalogues: every language says every message, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from rma.adapters.i18n import LOCALES
from rma.domain.storefront import LANGUAGES

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%")


def _catalogue(language: str) -> dict[object, object]:
    path = Path(LOCALES) / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        return {m.id: m.string for m in read_po(source, locale=language) if m.id}


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_message_is_translated_with_its_placeholders(language: str) -> None:
    messages = _catalogue(language)
    assert messages.keys() == _catalogue("de").keys()
    for source, translated in messages.items():
        sources = source if isinstance(source, tuple) else (source,)
        translations = translated if isinstance(translated, tuple) else (translated,)
        assert all(translations), f"{language}: {source!r} is not translated"
        wanted = sorted(PLACEHOLDER.findall(sources[-1]))
        for text in translations:
            assert sorted(PLACEHOLDER.findall(str(text))) == wanted, (language, source, text)
