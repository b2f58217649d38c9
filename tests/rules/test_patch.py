"""rules/patch: alignment of Dockerfiles to recorded histories (legacy and BuildKit spellings),
and the patch's text for each pattern, on Dockerfiles written out here and findings given by
hand (the engine tests build the same patterns: tests/integration/test_advise_patch.py)."""

from __future__ import annotations

import pytest

from layerscope.rules.base import Finding, RuleError
from layerscope.rules.patch.align import align
from layerscope.rules.patch.dockerfile import read_dockerfile
from layerscope.rules.patch.plan import plan

STORY = """ARG BASE_IMAGE=debian
FROM ${BASE_IMAGE}
ARG REPO_URL=http://127.0.0.1:8765
RUN echo "deb [trusted=yes] ${REPO_URL}/apt ./" > /etc/apt/sources.list && apt-get update
ENV DEBIAN_FRONTEND=noninteractive
# curl, and what it needs
RUN apt-get install -y \\
      curl
ADD ./my_service.py /my_service.py
ENTRYPOINT ["python3", "/my_service.py"]
"""
LEGACY = [(0, "(imported) ", True), (1, "ARG REPO_URL=http://127.0.0.1:9999", False),
          (2, 'RUN echo "deb [trusted=yes] ${REPO_URL}/apt ./" > /etc/apt/sources.list && '
              "apt-get update", False),
          (3, "ENV DEBIAN_FRONTEND=noninteractive", False),
          (4, "RUN apt-get install -y       curl", False),
          (5, "ADD file:3f1e2d in /my_service.py ", False),
          (6, 'ENTRYPOINT ["python3" "/my_service.py"]', False)]
# BuildKit records no ARG step, COPY/ADD with their sources, and ARG values expanded in RUN
BUILDKIT = [(0, "(imported) ", True),
            (1, 'RUN echo "deb [trusted=yes] http://127.0.0.1:9999/apt ./" > '
                "/etc/apt/sources.list && apt-get update", False),
            (2, "ENV DEBIAN_FRONTEND=noninteractive", False),
            (3, "RUN apt-get install -y curl", False),
            (4, "ADD ./my_service.py /my_service.py", False),
            (5, 'ENTRYPOINT ["python3" "/my_service.py"]', False)]


def dockerfile(tmp_path, text: str, name: str = "Dockerfile"):
    path = tmp_path / name
    path.write_text(text)
    return read_dockerfile(str(path))


def finding(rule: str, steps, saving: int, paths=(), message: str = "") -> Finding:
    return Finding(rule, "warning", rule, saving, tuple(steps), tuple(paths), "fix", message)


def patched(tmp_path, text: str, steps, *findings: Finding):
    parsed = dockerfile(tmp_path, text)
    result = plan(parsed, findings, align(parsed, steps, "img"))
    return "".join(result.lines), result


def test_legacy_and_buildkit_histories_align_line_by_line(tmp_path):
    parsed = dockerfile(tmp_path, STORY)
    legacy = align(parsed, LEGACY, "img")
    assert {i: ins.start for i, ins in legacy.steps.items()} == \
        {1: 3, 2: 4, 3: 5, 4: 7, 5: 9, 6: 10}
    assert legacy.warnings == ()
    buildkit = align(parsed, BUILDKIT, "img")
    assert {i: ins.start for i, ins in buildkit.steps.items()} == {1: 4, 2: 5, 3: 7, 4: 9, 5: 10}


def test_a_different_run_is_an_error_naming_the_step_and_line(tmp_path):
    parsed = dockerfile(tmp_path, STORY, "Other.Dockerfile")
    steps = list(LEGACY)
    steps[4] = (4, "RUN apt-get install -y wget", False)
    with pytest.raises(RuleError) as error:
        align(parsed, steps, "img")
    assert "step 4 (RUN apt-get install -y wget) differs from " in error.value.message
    assert f"{tmp_path}/Other.Dockerfile:7" in error.value.message


def test_a_dockerfile_longer_than_the_history_is_an_error(tmp_path):
    parsed = dockerfile(tmp_path, STORY)
    with pytest.raises(RuleError, match="has no step in the image"):
        align(parsed, LEGACY[3:], "img")


def test_a_different_entrypoint_is_a_warning(tmp_path):
    parsed = dockerfile(tmp_path, STORY)
    steps = LEGACY[:-1] + [(6, 'ENTRYPOINT ["python3" "/other.py"]', False)]
    result = align(parsed, steps, "img")
    [warning] = result.warnings
    assert warning.endswith("Dockerfile:10: ENTRYPOINT differs from step 6 (ENTRYPOINT "
                            '["python3" "/other.py"]); the image was built from another '
                            "version of it")
    assert 6 in result.steps


def test_lists_go_after_the_install_in_one_run_with_the_update(tmp_path):
    """The story's v1 bug: removing the lists in the update's own RUN breaks the install."""
    text, result = patched(tmp_path, STORY, LEGACY, finding("LS004", [2], 170_000),
                           finding("LS006", [4], 9_000_000))
    assert text == STORY.replace(
        "apt-get update\nENV DEBIAN_FRONTEND=noninteractive\n# curl, and what it needs\n"
        "RUN apt-get install -y \\\n      curl\n",
        "apt-get update && \\\n"
        "    # curl, and what it needs\n"
        "    apt-get install --no-install-recommends -y \\\n"
        "      curl && \\\n"
        "    rm -rf /var/lib/apt/lists/*\n"
        "ENV DEBIAN_FRONTEND=noninteractive\n")
    assert [f.finding.rule for f in result.fixes] == ["LS004", "LS006"] and not result.unfixed


def test_env_used_by_the_install_keeps_the_lists_unfixed_with_the_reason(tmp_path):
    text = STORY.replace("noninteractive", "noninteractive\nRUN true").replace(
        "install -y", "install -y $DEBIAN_FRONTEND")
    steps = LEGACY[:4] + [(4, "RUN true", False)] + [
        (5, "RUN apt-get install -y $DEBIAN_FRONTEND       curl", False)] + [
        (i + 1, t, b) for i, t, b in LEGACY[5:]]
    new, result = patched(tmp_path, text, steps, finding("LS004", [2], 170_000))
    assert new == text
    [(left)] = result.unfixed
    assert left.reason.endswith("cannot be folded: ENV at "
                                f"{tmp_path}/Dockerfile:5 sets DEBIAN_FRONTEND, which a later RUN "
                                "of the fold uses")


BUILD = """FROM base
RUN cd /src && make
USER app
RUN rm -rf /src
"""
BUILD_STEPS = [(0, "(imported)", True), (1, "RUN cd /src && make", False),
               (2, "USER app", False), (3, "RUN rm -rf /src", False)]


def test_user_between_writer_and_clean_up_blocks_the_fold(tmp_path):
    new, result = patched(tmp_path, BUILD, BUILD_STEPS, finding("LS001", [1, 3], 1000, ["/src/a"]))
    assert new == BUILD
    assert "USER at" in result.unfixed[0].reason


def test_a_cd_in_a_folded_run_is_kept_to_its_own_part(tmp_path):
    text = BUILD.replace("USER app", "LABEL a=b")
    steps = [s if s[0] != 2 else (2, "LABEL a=b", False) for s in BUILD_STEPS]
    new, _ = patched(tmp_path, text, steps, finding("LS001", [1, 3], 1000, ["/src/a"]))
    assert new == "FROM base\nRUN (cd /src && make) && \\\n    rm -rf /src\nLABEL a=b\n"


HEREDOC = """# syntax=docker/dockerfile:1
FROM base AS build
RUN make
FROM base
RUN <<EOF
mkdir -p /opt/scratch
echo done > /opt/done
EOF
ENV MODE=prod
# the scratch space
RUN rm -rf /opt/scratch
"""


def test_heredoc_writer_gets_the_clean_up_in_its_script_in_the_final_stage(tmp_path):
    steps = [(0, "(imported)", True), (1, "RUN mkdir -p /opt/scratch\necho done > /opt/done",
                                       False),
             (2, "ENV MODE=prod", False), (3, "RUN rm -rf /opt/scratch", False)]
    new, result = patched(tmp_path, HEREDOC, steps,
                          finding("LS001", [1, 3], 50_000, ["/opt/scratch/big"]))
    assert new == HEREDOC.replace(
        "EOF\nENV MODE=prod\n# the scratch space\nRUN rm -rf /opt/scratch\n",
        "# the scratch space\nrm -rf /opt/scratch\nEOF\nENV MODE=prod\n")
    assert result.fixes[0].lines == tuple(range(5, 12))


def test_caches_pip_no_cache_dir_and_apk_no_cache(tmp_path):
    text = "FROM base\nRUN pip install -r req.txt && apk add git\n"
    steps = [(0, "(imported)", True), (1, "RUN pip install -r req.txt && apk add git", False)]
    new, result = patched(tmp_path, text, steps,
                          finding("LS005", [1], 10, message="3 pip cache files (10 bytes)"),
                          finding("LS005", [1], 5, message="2 apk cache files (5 bytes)"),
                          finding("LS005", [1], 1, message="1 temporary files (1 bytes)"))
    assert new == "FROM base\nRUN pip install --no-cache-dir -r req.txt && apk add --no-cache git\n"
    assert [u.finding.message for u in result.unfixed] == ["1 temporary files (1 bytes)"]


# LS002 and LS003 on copied files: the fixes BuildKit builds (RUN --mount, COPY --chmod=)
WHEELS = """FROM base
COPY wheels /tmp/wheels
RUN pip install /tmp/wheels/*.whl && \\
    rm -rf /tmp/wheels /root/.cache
"""
WHEELS_STEPS = [(0, "(imported)", True), (1, "COPY dir:0a1b in /tmp/wheels ", False),
                (2, "RUN pip install /tmp/wheels/*.whl &&     rm -rf /tmp/wheels /root/.cache",
                 False)]
MOUNT_NOTE = ("# layerscope LS002: RUN --mount needs BuildKit (DOCKER_BUILDKIT=1 docker build, or "
              "docker buildx build)\n")


def test_copied_then_deleted_files_become_a_mount_and_the_rm_keeps_the_rest(tmp_path):
    new, result = patched(tmp_path, WHEELS, WHEELS_STEPS,
                          finding("LS002", [1, 2], 9000, ["/tmp/wheels/a.whl"]))
    assert new == ("FROM base\n" + MOUNT_NOTE +
                   "RUN --mount=type=bind,source=wheels,target=/tmp/wheels "
                   "pip install /tmp/wheels/*.whl && \\\n    rm -rf /root/.cache\n")
    assert result.fixes[0].lines == (2, 3, 4) and not result.unfixed


def test_a_file_copied_into_a_directory_is_mounted_at_its_own_path(tmp_path):
    text = ("FROM base\nCOPY --from=build app.tar.gz /tmp/\n"
            "RUN tar -xzf /tmp/app.tar.gz -C /opt && rm /tmp/app.tar.gz\n")
    steps = [(0, "(imported)", True), (1, "COPY file:1 in /tmp/ ", False),
             (2, "RUN tar -xzf /tmp/app.tar.gz -C /opt && rm /tmp/app.tar.gz", False)]
    new, _ = patched(tmp_path, text, steps, finding("LS002", [1, 2], 9000, ["/tmp/app.tar.gz"]))
    assert new == ("FROM base\n" + MOUNT_NOTE +
                   "RUN --mount=type=bind,from=build,source=app.tar.gz,target=/tmp/app.tar.gz "
                   "tar -xzf /tmp/app.tar.gz -C /opt\n")


@pytest.mark.parametrize("deleter, left", [
    ("RUN rm -rf /tmp/wheels\n", ""),  # the RUN only deleted them: it goes
    ("RUN rm -rf /tmp/wheels && apt-get clean\n", "RUN apt-get clean\n"),
])
def test_files_used_by_one_run_and_deleted_by_a_later_one_are_mounted_into_the_user(
        tmp_path, deleter, left):
    text = "FROM base\nCOPY wheels /tmp/wheels\nRUN pip install /tmp/wheels/*.whl\nENV A=1\n"
    steps = [(0, "(imported)", True), (1, "COPY dir:1 in /tmp/wheels ", False),
             (2, "RUN pip install /tmp/wheels/*.whl", False), (3, "ENV A=1", False),
             (4, deleter.strip(), False)]
    new, result = patched(tmp_path, text + deleter, steps,
                          finding("LS002", [1, 4], 9000, ["/tmp/wheels/a.whl"]))
    assert new == ("FROM base\n" + MOUNT_NOTE + "RUN --mount=type=bind,source=wheels,"
                   "target=/tmp/wheels pip install /tmp/wheels/*.whl\nENV A=1\n" + left)
    assert result.fixes[0].lines == (2, 3, 4, 5)


@pytest.mark.parametrize("change, reason", [
    # another RUN reads the wheels before the one that deletes them: one mount cannot serve both
    (lambda t: t.replace("RUN pip", "RUN ls /tmp/wheels\nRUN pip"),
     "are used by the RUNs at {d}:3, {d}:4; a mount serves one RUN"),
    # the deletion names a parent: a mount inside it could not be deleted
    (lambda t: t.replace("rm -rf /tmp/wheels /root/.cache", "rm -rf /tmp/*"),
     "deletes /tmp/wheels by another name"),
    (lambda t: t.replace("COPY wheels", "COPY --chown=app wheels"), "sets --chown"),
    (lambda t: t.replace("COPY wheels", "COPY a.whl b.whl"), "copies several sources"),
])
def test_a_mount_that_cannot_serve_is_left_with_the_reason(tmp_path, change, reason):
    text = change(WHEELS)
    steps = [(0, "(imported)", True)] + [
        (i, " ".join(line.split()), False) for i, line in enumerate(
            text.replace("\\\n", "").splitlines()[1:], start=1)]
    rm = len(steps) - 1
    new, result = patched(tmp_path, text, steps,
                          finding("LS002", [1, rm], 9000, ["/tmp/wheels/a.whl"]))
    assert new == text
    assert reason.format(d=tmp_path / "Dockerfile") in result.unfixed[0].reason


SCRIPT = """FROM base
COPY run.sh /usr/local/bin/run
RUN chown app:app /usr/local/bin/run && chmod +x /usr/local/bin/run
"""
SCRIPT_STEPS = [(0, "(imported)", True), (1, "COPY file:9 in /usr/local/bin/run ", False),
                (2, "RUN chown app:app /usr/local/bin/run && chmod +x /usr/local/bin/run", False)]


def test_chown_and_symbolic_chmod_of_a_copied_file_become_copy_flags(tmp_path):
    """`chmod +x` is written as the octal mode it left (this builder's --chmod is octal only)."""
    parsed = dockerfile(tmp_path, SCRIPT)
    result = plan(parsed, (finding("LS003", [1, 2], 500, ["/usr/local/bin/run"]),),
                  align(parsed, SCRIPT_STEPS, "img"), {"/usr/local/bin/run": 0o100755})
    assert "".join(result.lines) == (
        "FROM base\n# layerscope LS003: COPY --chmod= needs BuildKit (DOCKER_BUILDKIT=1 docker "
        "build, or docker buildx build)\n"
        "COPY --chown=app:app --chmod=0755 run.sh /usr/local/bin/run\n")


def test_a_symbolic_chmod_without_the_final_mode_and_chmod_r_of_a_directory_stay(tmp_path):
    _, result = patched(tmp_path, SCRIPT, SCRIPT_STEPS,
                        finding("LS003", [1, 2], 500, ["/usr/local/bin/run"]))
    assert "is symbolic" in result.unfixed[0].reason
    text = "FROM base\nCOPY app /srv/app\nRUN chmod -R 700 /srv/app\n"
    steps = [(0, "(imported)", True), (1, "COPY dir:1 in /srv/app ", False),
             (2, "RUN chmod -R 700 /srv/app", False)]
    new, result = patched(tmp_path, text, steps, finding("LS003", [1, 2], 500, ["/srv/app/a"]))
    assert new == text and "leaves the directory /srv/app itself" in result.unfixed[0].reason


def test_buildkit_features_are_read_after_the_keyword_only():
    from layerscope.rules.patch.buildkit import features

    assert features("FROM a\nRUN echo --mount=x\nCOPY a b\n") == ()
    assert features("FROM a\nRUN --mount=type=bind,target=/x true\nCOPY --chmod=0755 a b\n"
                    "COPY --chown=1 c d\nRUN <<EOF\ntrue\nEOF\n") == (
        "COPY --chmod", "RUN --mount", "RUN <<heredoc")


def test_an_rm_inside_a_quoted_script_is_not_taken_apart(tmp_path):
    from layerscope.rules.patch.mounts import without_removal

    assert without_removal('sh -c "make; rm -rf /tmp/src"', "/tmp/src") is None
    assert without_removal("make; rm -rf /tmp/src", "/tmp/src") == "make"


def test_no_docker_cli_with_buildkit_is_one_error_naming_what_was_tried(tmp_path, monkeypatch):
    from layerscope.commands import advise_check
    from layerscope.errors import SourceError

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("LAYERSCOPE_DOCKER", raising=False)
    monkeypatch.setattr(advise_check, "DEBIAN_CLI", str(tmp_path / "docker"))
    with pytest.raises(SourceError, match="needs BuildKit, and no docker CLI here builds with it"):
        advise_check.buildkit_cli()
