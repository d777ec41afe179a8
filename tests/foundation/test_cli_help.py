"""Every option of every `quarkmed` command has help text; `--version` prints the version."""

import click
from click.testing import CliRunner

from quarkmed_dagster import cli


def _commands(group: click.Group, prefix: str = "quarkmed"):  # type: ignore[no-untyped-def]
    for name, command in group.commands.items():
        yield f"{prefix} {name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix} {name}")


def test_every_option_has_help_text():
    missing = [
        f"{path} {param.opts[0]}"
        for path, command in _commands(cli.main)
        for param in command.params
        if isinstance(param, click.Option) and not param.help
    ]
    assert missing == []


def test_version():
    done = CliRunner().invoke(cli.main, ["--version"])
    assert done.exit_code == 0 and done.output.startswith("quarkmed, version ")


def test_defaults_are_written_one_way():
    """Every default reads "[default: ...]": shown by click (show_default) or, for a default
    computed at run time (None in code), written the same way in the help text."""
    odd = []
    for path, command in _commands(cli.main):
        for param in command.params:
            if not isinstance(param, click.Option) or param.is_flag or param.required:
                continue
            text = param.help or ""
            shown = bool(param.show_default) and param.default is not None
            if shown == ("[default:" in text) or "Default" in text or "(default" in text:
                odd.append(f"{path} {param.opts[0]}")
    assert odd == []
