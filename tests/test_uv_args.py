"""The install's translation of pip's configuration into uv's options (tools/uv_args.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tools.uv_args import parse_pip_config, uv_arguments

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "uv_args.py"
keys = st.sampled_from(["index-url", "extra-index-url", "find-links", "constraint", "cert"])
values = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=30)
scopes = st.sampled_from([":env:", "global", "install", "user", "download"])


def pip_listing(entries: list[tuple[str, str, str]]) -> str:
    """What `pip config list` prints for these (scope, key, value) settings."""
    return "\n".join(f"{scope}.{key}={value!r}" for scope, key, value in entries)


@given(st.lists(st.tuples(scopes, keys, values), max_size=8))
def test_the_effective_value_is_the_last_of_the_highest_precedence(entries):
    rank = {":env:": 3, "install": 2, "global": 1}
    expected: dict[str, tuple[int, str]] = {}
    for scope, key, value in entries:
        if scope in rank and rank[scope] >= expected.get(key, (0, ""))[0]:
            expected[key] = (rank[scope], value)
    parsed = parse_pip_config(pip_listing(entries))
    assert parsed == {key: value for key, (_, value) in expected.items()}


@given(st.text(max_size=200))
def test_any_listing_parses_without_error(listing):
    config = parse_pip_config(listing)
    assert all(isinstance(value, str) for value in config.values())


def test_environment_beats_the_install_section_beats_global():
    listing = pip_listing(
        [
            (":env:", "find-links", "/env/wheels"),
            ("global", "find-links", "/global/wheels"),
            ("install", "constraint", "/install/c.txt"),
            ("global", "constraint", "/global/c.txt"),
            ("global", "extra-index-url", "file:///a/simple file:///b/simple"),
        ]
    )
    assert uv_arguments(parse_pip_config(listing)) == [
        "--index-strategy",
        "unsafe-best-match",
        "--extra-index-url",
        "file:///a/simple",
        "--extra-index-url",
        "file:///b/simple",
        "--find-links",
        "/env/wheels",
        "--constraint",
        "/install/c.txt",
    ]


def test_the_script_reads_the_running_pips_settings(tmp_path):
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nfind-links = /from/file\nextra-index-url = file:///x/simple\n")
    env = {"PIP_CONFIG_FILE": str(config), "PIP_FIND_LINKS": "/from/env", "PATH": "/usr/bin"}
    shown = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    assert shown[shown.index("--find-links") + 1] == "/from/env"
    assert shown[shown.index("--extra-index-url") + 1] == "file:///x/simple"
