"""Every `legato ...` command line the README and the guides show exists: its subcommand path is
a command of the typer app, and each `--option` it uses is an option of that command.

Documentation drifts when a command is renamed or an option dropped; a reader copying a line
then gets "No such option". The command lines are taken from the shell code blocks
(```bash, ```sh, ```shell, ```console) of README.md and docs/guides/*.md, where a segment of a
line (split at `&&`, `||`, `;`, ` | ` and `$(`) starts with `legato` (after any `VAR=value`
assignments). Output blocks (```text, unlabelled) and Python blocks are not read.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.core import TyperGroup

from legato.cli.app import app
from legato.cli.run_cmd import run_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs" / "guides").glob("*.md"))]
SHELL_BLOCKS = {"bash", "sh", "shell", "console"}
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
SEGMENT_SPLIT = re.compile(r"&&|\|\||;|\s\|\s|\$\(|`")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def shell_lines(text: str) -> list[tuple[int, str]]:
    """(line number, command line) of every shell code block line, continuations joined; in a
    console block only the `$ ` lines (the rest is output)."""
    lines: list[tuple[int, str]] = []
    block: str | None = None                 # the language of the open block, "" unlabelled
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        fence = FENCE.match(raw)
        if fence:
            block = fence.group(2).lower() if block is None else None
            continue
        line = raw.strip()
        if block not in SHELL_BLOCKS:
            continue
        if pending is None:
            if block == "console" and not line.startswith("$ "):
                continue
            pending = (number, line.removeprefix("$ "))
        else:
            pending = (pending[0], f"{pending[1]} {line}")
        if pending[1].endswith("\\"):
            pending = (pending[0], pending[1][:-1])
            continue
        lines.append(pending)
        pending = None
    return lines


def _tokens(segment: str) -> list[str]:
    try:
        words = shlex.split(segment, comments=True)
    except ValueError:                         # an unbalanced quote: read the words plainly
        words = segment.split("#", 1)[0].split()
    while words and ASSIGNMENT.match(words[0]):
        words.pop(0)
    return [w.strip("[]()") for w in words]


def legato_commands(line: str) -> list[list[str]]:
    """The argument lists (after `legato`) of each `legato` command in a shell line."""
    found = []
    for segment in SEGMENT_SPLIT.split(line):
        words = _tokens(segment)
        if words and words[0] == "legato":
            found.append(words[1:])
    return found


def _option_names(command: Any) -> set[str]:
    names = {"--help"}
    for param in command.params:
        if param.param_type_name == "option":
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


def _run_parser_options() -> set[str]:
    """`legato run FILE` is parsed by run_cmd's own argparse parser (cli/main.py)."""
    return {s for action in run_parser()._actions for s in action.option_strings}


def check(args: list[str], root: TyperGroup, path: tuple[str, ...] = ("legato",)) -> list[str]:
    """What is wrong with `legato <args>`: an unknown subcommand or an unknown option."""
    command: Any = root
    rest = list(args)
    while isinstance(command, TyperGroup) and rest and not rest[0].startswith("-"):
        word = rest.pop(0)
        if "|" in word:                          # `legato dags pause|unpause DAG` names both
            return [p for alt in word.split("|") for p in check([alt, *rest], command, path)]
        if word not in command.commands:
            return [f"`{' '.join(path)}` has no command {word!r}"]
        path = (*path, word)
        command = command.commands[word]
    if isinstance(command, TyperGroup):
        return [] if not rest or rest[0] == "--help" else [f"`{' '.join(path)}` needs a command"]
    known = _option_names(command)
    if path == ("legato", "run"):
        known &= _run_parser_options() | {"--help"}
    return [f"`{' '.join(path)}` has no option {option}"
            for option in (w.split("=", 1)[0] for w in rest if re.match(r"^--?[A-Za-z]", w))
            if option not in known]


def problems_in(text: str, root: TyperGroup) -> list[str]:
    found = []
    for number, line in shell_lines(text):
        for args in legato_commands(line):
            found.extend(f"line {number}: {p}: {line}" for p in check(args, root))
    return found


@pytest.fixture(scope="module")
def root() -> TyperGroup:
    command = typer.main.get_command(app)
    assert isinstance(command, TyperGroup)
    return command


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_legato_command_in_the_docs_exists(doc: Path, root: TyperGroup) -> None:
    text = doc.read_text()
    assert problems_in(text, root) == []


def test_the_readme_shows_commands_to_check(root: TyperGroup) -> None:
    """The extraction finds the README's commands (a broken parser would pass everything)."""
    commands = [args for _, line in shell_lines((ROOT / "README.md").read_text())
                for args in legato_commands(line)]
    assert len(commands) >= 40
    assert any(c[:2] == ["tasks", "clear"] for c in commands)


def test_a_made_up_command_or_option_is_reported(root: TyperGroup) -> None:
    text = "\n".join([
        "```bash",
        "legato run dags/x.py --date 2024-01-01 --retries 0    # fine",
        "legato tasks clear RUN t --downstream --frobnicate",
        "LEGATO_HOME=/tmp/h legato runs list && legato runs explode RUN",
        "legato backfill d --start 2024-01-01 --end 2024-01-02 --no-wait \\",
        "    --colour red",
        "legato run dags/x.py --max-workers 2",
        "```",
        "```console",
        "$ legato dags list --colour",
        "legato dags list --output-only   (output, not read)",
        "```",
        "```text",
        "legato scheduler: DAGs from ./dags        (output, not read)",
        "```",
        "```python",
        "legato.run('--nothing')",
        "```",
    ])
    found = problems_in(text, root)
    assert [f.split(":", 2)[1].strip() for f in found] == [
        "`legato tasks clear` has no option --frobnicate",
        "`legato runs` has no command 'explode'",
        "`legato backfill` has no option --colour",
        "`legato run` has no option --max-workers",
        "`legato dags list` has no option --colour",
    ]
