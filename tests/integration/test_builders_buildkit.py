"""BuildKit, the engine's own (`DOCKER_BUILDKIT=1`), in every form its image is exported (issue 18).

Debian's docker CLI (/usr/bin/docker, docker.io 20.10) builds with the engine's built-in
BuildKit; the newer CLI earlier on PATH needs buildx and cannot. That frontend knows `RUN
--mount`, `COPY --chmod` and multi-stage builds; heredocs and `COPY --link` need a newer
`# syntax=` frontend, which cannot be pulled here. The image below is built FROM the sample
busybox base (scripts/build-samples.sh), saved with `docker save`, and copied by skopeo to
oci:, oci-archive: and dir:; the engine's own copy is read too.

The figures are derived independently of layerscope:

- each layer's size counted from the `docker save` archive with Python's tarfile, and the
  engine's `docker image inspect` .Size and `docker history` per step;
- the wasted bytes by hand from the Dockerfile: /blob (1000 bytes of zeros) written by one RUN
  and removed by the next, with the base's /bin/vi, a symlink to "/bin/busybox" (12 bytes):
  1012 bytes;
- the base: the sample base's three steps (COPY busybox, RUN --install, CMD) and two layers;
- the instruction text, read off the Dockerfile: BuildKit records neither `--mount` nor
  `--chmod` nor `--from`, and prefixes a RUN under an ARG with `|1 GREETING=hi`; what is shown
  is the instruction without those and without the `# buildkit` suffix.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.inprocess import run_main
from tests.integration.test_builders import comparable, report, run, tar_layer_sizes

pytestmark = pytest.mark.engine

BUILDKIT_CLI = "/usr/bin/docker"
"""Debian's docker CLI, which builds with the engine's BuildKit (scripts/builders.sh)."""
TAG = "s23t-buildkit/app:1"
DOCKERFILE = """FROM layerscope/busybox:base AS build
RUN --mount=type=bind,source=note.txt,target=/mnt/note.txt cat /mnt/note.txt > /built

FROM layerscope/busybox:base
ARG GREETING=hi
ENV X=1
WORKDIR /app
RUN --mount=type=bind,source=note.txt,target=/m/n head -c 1000 /dev/zero >/blob && cp /m/n /n
RUN echo $GREETING > /greeting && rm /blob /bin/vi
COPY --chmod=600 note.txt /app/note.txt
COPY --from=build /built /app/built
"""
WASTED = 1000 + len("/bin/busybox")
USER_STEPS = [
    "ARG GREETING=hi",
    "ENV X=1",
    "WORKDIR /app",
    "RUN head -c 1000 /dev/zero >/blob && cp /m/n /n",
    "RUN echo $GREETING > /greeting && rm /blob /bin/vi",
    "COPY note.txt /app/note.txt",
    "COPY /built /app/built",
]
"""The final stage's steps as shown: the Dockerfile's lines less what BuildKit does not record."""


@pytest.fixture(scope="module")
def forms(client, tmp_path_factory):
    """form -> reference of the BuildKit-built image: the engine's, docker save's, skopeo's."""
    if not os.access(BUILDKIT_CLI, os.X_OK) or not shutil.which("skopeo"):
        pytest.fail(f"{BUILDKIT_CLI} (Debian's docker.io) and skopeo are needed: run "
                    "scripts/builders.sh and scripts/registry.sh (make test does)")
    root = tmp_path_factory.mktemp("buildkit")
    context = root / "context"
    context.mkdir()
    (context / "note.txt").write_text("a note\n")
    (context / "Dockerfile").write_text(DOCKERFILE)
    environment = {**os.environ, "DOCKER_BUILDKIT": "1"}
    built = subprocess.run([BUILDKIT_CLI, "build", "-q", "-t", TAG, str(context)],
                           capture_output=True, text=True, timeout=300, env=environment)
    assert built.returncode == 0, built.stderr[-2000:]
    try:
        saved = root / "saved.tar"
        run(BUILDKIT_CLI, "save", "-o", str(saved), TAG)
        found = {"engine": TAG, "docker-archive": str(saved)}
        for transport, target in (("oci", f"{root}/layout:{TAG}"),
                                  ("oci-archive", f"{root}/oci.tar:{TAG}"),
                                  ("dir", f"{root}/dir")):
            extra = ("--dest-compress",) if transport == "dir" else ()
            run("skopeo", "copy", "-q", *extra, f"docker-archive:{saved}",
                f"{transport}:{target}")
            found[transport] = f"{transport}:{target}"
        yield found
    finally:
        subprocess.run(["docker", "rmi", "-f", TAG], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_the_history_is_buildkits(client, forms):
    # what the test stands on: the engine's history says BuildKit built it
    history = client.images.get(forms["engine"]).history()
    assert any(step["CreatedBy"].endswith("# buildkit") for step in history)
    assert any(step["Comment"] == "buildkit.dockerfile.v0" for step in history)


def test_every_form_gives_the_engines_figures(client, forms):
    reports = {form: report(reference) for form, reference in forms.items()}
    first = comparable(reports["docker-archive"])
    for form, document in reports.items():
        document = comparable(document)
        if form.startswith("oci"):
            # skopeo rewrites Docker's config as an OCI config for oci: (so another image ID);
            # every figure stays
            assert document["image"].pop("id") != first["image"]["id"]
            document["image"]["id"] = first["image"]["id"]
        assert document == first, f"{form} differs from the docker-archive"
    document = reports["docker-archive"]
    counted = tar_layer_sizes(Path(forms["docker-archive"]))
    assert [layer["size"] for layer in document["layers"]] == counted
    engine = client.images.get(forms["engine"])
    assert document["image"]["size"] == sum(counted) == engine.attrs["Size"]
    history = [step["Size"] for step in reversed(engine.history())]
    shown = [step["size"] if step["layer"] is not None else 0 for step in document["steps"]]
    assert shown == history
    assert document["image"]["wasted_bytes"] == WASTED
    assert (document["image"]["visible_bytes"] + document["image"]["wasted_bytes"]
            == document["image"]["size"])


def test_the_base_is_found_and_the_instructions_are_clean(forms):
    document = report(forms["docker-archive"])
    assert (document["base"]["layer_count"], document["base"]["step_count"]) == (2, 3)
    texts = [step["instruction"] for step in document["steps"]]
    assert texts[3:] == USER_STEPS
    # ARG, ENV record no layer; BuildKit's WORKDIR does (the directory it creates)
    empty = [step["instruction"] for step in document["steps"][3:] if step["layer"] is None]
    assert empty == ["ARG GREETING=hi", "ENV X=1"]
    code, out = run_main("inspect", forms["docker-archive"], "--no-cache", "--no-trunc")
    text = out.decode()
    assert code == 0 and "# buildkit" not in text and "|1 GREETING" not in text
    assert "RUN echo $GREETING > /greeting && rm /blob /bin/vi" in text
    # the flags BuildKit does not record are read from the Dockerfile: each user step is matched
    # to its line (numbered by hand: the second FROM is line 4, its steps lines 5-11)
    dockerfile = Path(forms["docker-archive"]).parent / "context" / "Dockerfile"
    code, out = run_main("inspect", forms["docker-archive"], "--no-cache", "--no-trunc",
                         "--dockerfile", str(dockerfile))
    rows = [line.split() for line in out.decode().splitlines()]
    numbered = {int(row[0]): int(row[1]) for row in rows
                if len(row) > 2 and row[0].isdigit() and row[1].isdigit() and int(row[0]) >= 3}
    assert code == 0 and numbered == {3 + i: 5 + i for i in range(len(USER_STEPS))}
