"""How a person reaches an action's form on a case: the note's (and a
supervisor's decision under what they are asked to approve) is on the case
page itself; every other action is a link there ("What you can do", "What to
do next") to the action's own page, which holds the form. A feature's panel
with its own page (evidence, consent, data requests, matches, who has seen
the child, break-glass uses) is a line on the case page linking to its
section page, which holds the panel and its forms."""
from __future__ import annotations

import re

ACTION_LINK = re.compile(r'<a class="action-link" data-action-link="(\w+)" href="([^"]+)"')
SECTION_LINK = re.compile(r'<a class="action-link" data-section-link="([\w-]+)" href="([^"]+)"')


def section_links(case_page: str) -> dict[str, str]:
    """The case page's links to its sections: section name -> URL."""
    return dict(SECTION_LINK.findall(case_page))


def section_page(client, reference: str, section: str, *, status: int = 200) -> str:
    """The HTML of a section's page, reached as a person does: the case page,
    then the section's link on it."""
    page = client.get(f"/cases/{reference}").get_data(as_text=True)
    href = section_links(page).get(section)
    assert href, f"no link to the section {section!r} on the case page"
    answer = client.get(href.replace("&amp;", "&"))
    assert answer.status_code == status, (href, answer.status_code)
    return answer.get_data(as_text=True)


def action_links(case_page: str) -> dict[str, list[str]]:
    """The case page's action links: action name -> the URLs of its pages."""
    found: dict[str, list[str]] = {}
    for name, href in ACTION_LINK.findall(case_page):
        found.setdefault(name, []).append(href)
    return found


def action_href(case_page: str, name: str, item: str | None = None) -> str | None:
    """The link to ``name``'s page (of ``item``: a plan or a referral) on the case page."""
    for href in action_links(case_page).get(name, []):
        if item is None or href.split("?", 1)[0].rstrip("/").endswith(f"/{item}"):
            return href
    return None


def form_page(client, reference: str, name: str, item: str | None = None) -> str:
    """The HTML of the page where ``name``'s form is, reached as a person does:
    the case page, and the action's link on it when the form is not there."""
    page = client.get(f"/cases/{reference}").get_data(as_text=True)
    if f'data-action="{name}"' in page:
        return page
    href = action_href(page, name, item)
    if href is None:
        for section_href in section_links(page).values():
            html = client.get(section_href).get_data(as_text=True)
            if f'data-action="{name}"' in html:
                return html
    assert href, f"no form or link for {name!r} on the case page"
    answer = client.get(href)
    assert answer.status_code == 200, (href, answer.status_code)
    html = answer.get_data(as_text=True)
    assert f'data-action="{name}"' in html, href
    return html
