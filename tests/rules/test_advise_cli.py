"""advise through the CLI on a synthesized archive: --dockerfile, --patch, --ignore, config."""

from __future__ import annotations

import json
import subprocess

from layerscope.__main__ import main
from layerscope.settings import advise_ignore
from tests.imagebuilder import file, whiteout

DOCKERFILE = """FROM base
RUN make
RUN rm -rf /tmp/build
"""


def archive(tmp_path):
    from tests.imagebuilder import ImageSpec, Step, write_docker_archive

    path = tmp_path / "img.tar"
    write_docker_archive(ImageSpec((
        Step("/bin/sh -c #(nop) ADD file:abc in / ", (file("bin/sh", b"s" * 100),)),
        Step('/bin/sh -c #(nop)  CMD ["sh"]', None),
        Step("/bin/sh -c make", (file("tmp/build/a.o", b"x" * 700),)),
        Step("/bin/sh -c rm -rf /tmp/build", (whiteout("tmp/build"),)),
    )), path)
    return path


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_patch_folds_and_applies(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    image = str(archive(tmp_path))
    code, out, _ = run(capsys, "advise", image, "--dockerfile", "Dockerfile", "--format", "json",
                       "--no-cache")
    [finding] = json.loads(out)["findings"]
    assert (finding["rule"], finding["lines"], finding["estimated_saving_bytes"]) == \
        ("LS001", [2, 3], 700)
    code, diff, _ = run(capsys, "advise", image, "--dockerfile", "Dockerfile", "--patch",
                        "--no-cache")
    header, rest = diff.split("\n", 1)
    assert header == ("layerscope advise --patch: 1 fix (LS001 700 B); together they should "
                      "save 700 B (700 bytes), each byte counted once")
    assert code == 0 and rest.startswith("--- Dockerfile\n+++ Dockerfile\n@@ -1,3 +1,3 @@ "
                                         "LS001 -700 B\n")
    subprocess.run(["patch", "-p0"], input=diff, text=True, check=True, capture_output=True)
    assert (tmp_path / "Dockerfile").read_text() == \
        "FROM base\nRUN make && \\\n    rm -rf /tmp/build\n"


def test_ignore_flag_and_config(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    image = str(archive(tmp_path))
    code, out, _ = run(capsys, "advise", image, "--ignore", "ls001", "--format", "json",
                       "--no-cache")
    assert json.loads(out)["findings"] == [] and json.loads(out)["ignored"] == ["LS001"]
    code, _, err = run(capsys, "advise", image, "--ignore", "LS999")
    assert code == 2 and "no such rule" in err
    (tmp_path / "pyproject.toml").write_text('[tool.layerscope.advise]\nignore = ["LS001"]\n')
    assert advise_ignore() == ["LS001"]
    (tmp_path / ".layerscope.toml").write_text('[advise]\nignore = ["LS404"]\n')
    code, _, err = run(capsys, "advise", image)
    assert code == 2 and "no rule LS404" in err


def test_inspect_shows_findings(tmp_path, capsys):
    image = str(archive(tmp_path))
    code, out, _ = run(capsys, "inspect", image, "--format", "json", "--no-cache")
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["LS001"]
    code, out, _ = run(capsys, "inspect", image, "--no-cache")
    assert "Findings (1, up to 700 Bytes" in out or "Findings (1," in out
