"""The CLI reference (docs/cli.md), generated from the commands themselves.

Regenerate with `python -m siyu.cli.reference > docs/cli.md`; a test fails when it is stale.
"""

from __future__ import annotations

import inspect
from typing import Any

import typer.main

from siyu.cli.main import app


def render() -> str:
    lines = [
        "# CLI reference",
        "",
        "Generated from the code by `python -m siyu.cli.reference`.",
        "",
    ]
    _render_command(typer.main.get_command(app), ["siyu"], lines)
    return "\n".join(lines).rstrip() + "\n"


def _render_command(command: Any, path: list[str], lines: list[str]) -> None:
    lines += [f"## `{' '.join(path)}`", ""]
    if command.help:
        lines += [inspect.cleandoc(command.help), ""]
    params = [param for param in command.params if param.name != "help"]
    if params:
        lines += ["| parameter | description |", "|---|---|"]
        lines += [f"| {_param_name(param)} | {_param_help(param)} |" for param in params]
        lines.append("")
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        _render_command(sub, [*path, name], lines)


def _param_name(param: Any) -> str:
    if param.param_type_name == "argument":
        return f"`{param.name.upper()}`"
    return ", ".join(f"`{opt}`" for opt in [*param.opts, *param.secondary_opts])


def _param_help(param: Any) -> str:
    text = (getattr(param, "help", None) or "").replace("|", "\\|")
    default = param.default
    if param.required:
        text += " (required)"
    elif default not in (None, False, (), []) and not callable(default):
        text += f" (default: `{default}`)"
    return text.strip()


if __name__ == "__main__":
    print(render(), end="")
