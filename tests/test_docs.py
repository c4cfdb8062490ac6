"""The README is part of the product: settings, commands and Space metadata must match the code."""

from __future__ import annotations

import re

from conftest import REPO
from leaderboard.cli import build_parser
from leaderboard.config import SETTINGS

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_configuration_table():
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", README, flags=re.MULTILINE))
    missing = {s.env for s in SETTINGS} - documented
    assert not missing, f"settings missing from README's configuration table: {missing}"


def test_every_documented_leaderboard_variable_exists():
    documented = set(re.findall(r"^\| `(LEADERBOARD_[A-Z0-9_]+)` \|", README, flags=re.MULTILINE))
    assert documented == {s.env for s in SETTINGS if s.env.startswith("LEADERBOARD_")}


def test_readme_defaults_match_the_code():
    for setting in SETTINGS:
        row = re.search(rf"^\| `{setting.env}` \| ([^|]+) \|", README, flags=re.MULTILINE)
        assert row, setting.env
        shown = row.group(1).strip().strip("`")
        expected = setting.default if setting.default is not None else setting.default_help
        assert shown == expected.strip("`"), (setting.env, shown, expected)


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_test_one():
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.+?)\n```", quick_start, flags=re.DOTALL)
    assert commands == [
        "pip install -r requirements.txt && python app.py",
        "pip install -r requirements-dev.txt && python -m pytest",
    ]
    ci_script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci_script.splitlines()


def test_space_front_matter():
    front = README.split("---", 2)[1]
    for line in ("sdk: gradio", "app_file: app.py", "hf_oauth: true"):
        assert line in front.splitlines()


def test_every_subcommand_is_documented():
    parser = build_parser()
    subcommands = parser._subparsers._group_actions[0].choices  # argparse keeps them here
    for name in subcommands:
        assert f"`{name}" in README, f"`python -m leaderboard {name}` is not in the README"


def test_requirements_pin_torch_cpu_build():
    assert "torch==2.13.0" in (REPO / "requirements.txt").read_text().splitlines()
