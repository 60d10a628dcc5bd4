"""The install's uv command mirrors what `pip install` would use here (tools/uv_install.py)."""

from __future__ import annotations

import json
import optparse
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tools.uv_install import uv_command

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "uv_install.py"


def planned(tmp_path: Path, config: str, **env: str) -> tuple[list[str], dict[str, str]]:
    """The uv command the script would run with this pip.conf and these PIP_* variables."""
    conf = tmp_path / "pip.conf"
    conf.write_text(config)
    environment = {"PIP_CONFIG_FILE": str(conf), "PATH": "/usr/bin", "HOME": str(tmp_path)}
    shown = subprocess.run(
        [sys.executable, str(SCRIPT), "--dry-run", "pkg==1"],
        capture_output=True,
        text=True,
        env={**environment, **env},
        check=True,
    ).stdout
    plan = json.loads(shown)
    return plan["args"], plan["env"]


def values_of(args: list[str], option: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == option]


def test_environment_variables_beat_the_config_file_as_they_do_for_pip(tmp_path):
    config = "[global]\nfind-links = /from/file\nextra-index-url = file:///a file:///b\n"
    args, env = planned(tmp_path, config, PIP_FIND_LINKS="/env/one /env/two", PIP_TIMEOUT="7")
    assert values_of(args, "--find-links") == ["/env/one", "/env/two"]
    assert values_of(args, "--extra-index-url") == ["file:///a", "file:///b"]
    assert values_of(args, "--index-strategy") == ["unsafe-best-match"]
    assert env["UV_HTTP_TIMEOUT"] == "7" and args[-1] == "pkg==1"


def test_the_install_section_and_an_empty_variable_follow_pips_rules(tmp_path):
    config = "[global]\nconstraint = /global/c.txt\n[install]\nconstraint = /install/c.txt\n"
    args, _ = planned(tmp_path, config + "find-links = /kept\n", PIP_FIND_LINKS="")
    assert values_of(args, "--constraint") == ["/install/c.txt"]
    assert values_of(args, "--find-links") == ["/kept"]  # pip ignores an empty variable


def test_no_index_cert_trusted_hosts_and_pre_releases_carry_over(tmp_path):
    config = "[global]\nno-index = true\ncert = /certs/ca.pem\ntrusted-host = mirror.local\n"
    args, env = planned(tmp_path, config + "pre = true\n", PIP_INDEX_URL="https://x/simple")
    assert "--no-index" in args and "--index-url" not in args
    assert env["SSL_CERT_FILE"] == "/certs/ca.pem"
    assert values_of(args, "--allow-insecure-host") == ["mirror.local"]
    assert values_of(args, "--prerelease") == ["allow"]


WORD = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=20
).filter(lambda w: not w.startswith("-"))


@given(st.lists(WORD, max_size=4), st.lists(WORD, max_size=4), st.lists(WORD, max_size=3))
def test_every_value_is_passed_verbatim_as_one_argument(links, constraints, requirements):
    options = optparse.Values(
        {
            "no_index": False,
            "index_url": "https://pypi.org/simple",
            "extra_index_urls": [],
            "find_links": links,
            "constraints": constraints,
            "trusted_hosts": [],
            "pre": False,
            "timeout": 15.0,
            "cert": None,
        }
    )
    args, env = uv_command(options, "/v/bin/uv", "/v/bin/python", requirements)
    assert args[:3] == ["/v/bin/uv", "pip", "install"]
    assert values_of(args, "--find-links") == links
    assert values_of(args, "--constraint") == constraints
    assert args[len(args) - len(requirements) :] == requirements
    assert env == {"UV_HTTP_TIMEOUT": "15"}
