"""Templates are CSP-friendly: no inline scripts, event-handler attributes, javascript: URLs or inline styles, so a
Content-Security-Policy without 'unsafe-inline' can be set in front of the app."""

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

INLINE = {
    "inline <script> (needs src=)": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "event-handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "<style> block": re.compile(r"<style[\s>]", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
}


def template_files():
    return sorted(TEMPLATES.rglob("*.html"))


def test_there_are_templates_to_check():
    assert len(template_files()) > 40


@pytest.mark.parametrize("kind", sorted(INLINE))
def test_no_template_has_inline_code_or_styles(kind):
    pattern = INLINE[kind]
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in template_files()
        for text in [path.read_text(encoding="utf-8")]
        for match in pattern.finditer(text)
    ]
    assert not offenders, f"{kind} in {offenders}"


def test_the_pipeline_board_filters_without_inline_script(client, django_user_model):
    rep = django_user_model.objects.create_user(username="csp-rep", password="pw-123456!", role="rep")
    client.force_login(rep)
    response = client.get("/pipeline/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="owner"' in body and "onchange" not in body and "<style" not in body
