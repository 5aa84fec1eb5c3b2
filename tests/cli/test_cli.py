"""The CLI through its public entry point: exit codes, --json, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from siyu.cli.main import app, run
from siyu.db.migrate import head_revision
from siyu.errors import DatabaseUnavailableError


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def all_command_paths() -> list[list[str]]:
    import typer.main

    root = typer.main.get_command(app)
    paths: list[list[str]] = [[]]

    def walk(command: object, prefix: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", all_command_paths(), ids=lambda path: " ".join(path) or "siyu")
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], path: list[str]) -> None:
    code, out, _ = invoke(capsys, *path, "--help")
    assert code == 0
    assert "Usage" in out


def test_init_then_doctor_json(capsys: pytest.CaptureFixture[str], empty_db_url: str) -> None:
    code, out, err = invoke(capsys, "--db", empty_db_url, "init", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["revision_before"] is None

    code, out, _ = invoke(capsys, "--db", empty_db_url, "init", "--json")
    assert json.loads(out)["revision_before"] == head_revision()

    code, out, _ = invoke(capsys, "--db", empty_db_url, "doctor", "--json")
    report = json.loads(out)
    assert code == 0
    assert report["revision"] == head_revision()
    assert report["is_current"] is True
    assert report["row_counts"]["customers"] == 0
    assert set(report["row_counts"]) >= {"orders", "customer_identities", "wecom_contacts"}


def test_doctor_hides_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://siyu:hunter2@127.0.0.1:1/nowhere"
    code, out, err = invoke(capsys, "--db", url, "doctor")
    assert code == 1
    assert "hunter2" not in out + err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--db", "mysql://localhost/x", "doctor"], "unsupported database URL 'mysql'"),
        (["--db", "postgresql://u@127.0.0.1:1/x", "doctor"], "cannot reach database"),
        (["--db", "sqlite:////no/such/dir/siyu.db", "init"], "cannot reach database"),
    ],
)
def test_user_mistakes_give_one_clear_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = invoke(capsys, *args)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("siyu: error: ")
    assert message in err


def test_commands_need_an_initialised_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from siyu.cli.context import CliContext

    context = CliContext(database_override=f"sqlite:///{tmp_path / 'fresh.db'}")
    with pytest.raises(DatabaseUnavailableError, match=r"not initialised: run `siyu init` first"):
        context.engine()
    context.close()


def test_the_console_script_shows_no_traceback(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("siyu")
    result = subprocess.run(
        [str(script), "--db", "postgresql://u@127.0.0.1:1/x", "doctor"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("siyu: error: cannot reach database")


def test_default_store_is_siyu_db_in_the_working_directory(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("siyu")
    result = subprocess.run(
        [str(script), "init", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        env={"PATH": "", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["database_url"] == f"sqlite:///{tmp_path / 'siyu.db'}"
    assert (tmp_path / "siyu.db").exists()
