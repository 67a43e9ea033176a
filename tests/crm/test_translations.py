"""Every user-visible string is marked and translated: the zh-Hans catalogue is complete and current."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
ZH = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_zh_hans_catalogue_has_no_untranslated_or_fuzzy_entries():
    catalogue = polib.pofile(str(ZH))
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"


@pytest.mark.skipif(
    shutil.which("xgettext") is None and not os.environ.get("CI"), reason="GNU gettext (xgettext) not installed"
)
def test_makemessages_would_add_no_string(tmp_path):
    """Run makemessages on a copy of the sources and compare its message ids with the committed catalogue."""
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".venv", ".git", "node_modules", "staticfiles", "*.sqlite3*", "__pycache__"),
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--ignore=tests",
            "--ignore=bench",
            "--ignore=.venv",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    fresh = {(e.msgctxt, e.msgid) for e in polib.pofile(str(copy / ZH.relative_to(ROOT))) if not e.obsolete}
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(ZH)) if not e.obsolete}
    assert not fresh - committed, f"strings missing from the catalogue (run makemessages): {sorted(fresh - committed)}"
