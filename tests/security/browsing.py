"""A browser's view through httpx: sign in to the staff pages, read a form's hidden fields."""

from __future__ import annotations

import re

import httpx


def hidden(page: httpx.Response, name: str) -> str:
    """The value of a hidden field of the page's (first) form."""
    found = re.search(rf'name="{name}" value="([^"]*)"', page.text)
    assert found is not None, f"no {name} field on {page.url}"
    return found.group(1)


def sign_in(browser: httpx.Client, key: str, area: str = "desk") -> None:
    """Sign ``browser`` in to the desk (or the warehouse station) with ``key``."""
    form = browser.get(f"/{area}/login")
    answer = browser.post(f"/{area}/login", data={"csrf": hidden(form, "csrf"), "api_key": key})
    assert answer.status_code == 303, answer.text
