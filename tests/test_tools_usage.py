"""Every command of course_lib.tools answers a usage error with one line and exit status 2."""

from __future__ import annotations

import importlib

import pytest

# (module, its entry point): every tool that parses a command line
TOOLS = ["cli", "doctor", "progress", "class_report", "drift", "hub_proxy", "launcher", "site",
         "tensorboard_server", "visdom_assets", "visdom_server"]


@pytest.mark.parametrize("tool", TOOLS)
def test_an_unknown_option_is_one_line_and_exit_2(tool, capsys):
    main = importlib.import_module(f"course_lib.tools.{tool}").main
    try:
        code = main(["--no-such-option"])
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "__main__" not in err, err


def test_doctor_names_the_option_it_refuses(capsys):
    from course_lib.tools.cli import main

    with pytest.raises(SystemExit):
        main(["doctor", "--port", "70000"])
    assert capsys.readouterr().err.startswith("course doctor: --port: expected an int between 1 and 65535")


def test_every_parser_in_the_tools_is_the_one_line_parser():
    from pathlib import Path

    import course_lib.tools

    folder = Path(course_lib.tools.__file__).parent
    plain = [p.name for p in folder.glob("*.py") if "argparse.ArgumentParser(" in p.read_text()
             and p.name != "parsing.py"]
    assert not plain, f"use course_lib.tools.parsing.OneLineParser in {plain}"
