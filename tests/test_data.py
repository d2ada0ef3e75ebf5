"""Unit tests of course_lib.data: the SHA-256 manifest and verified paths."""

import hashlib
from pathlib import Path

import pytest

from course_lib import data
from course_lib.errors import CourseInputError


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_bytes(b"alpha")
    (tmp_path / "sub" / "b.bin").write_bytes(b"\x00\x01")
    data.write_manifest(tmp_path)
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    return tmp_path


def test_sha256_matches_hashlib(tmp_path):
    p = tmp_path / "x"
    p.write_bytes(b"hello")
    assert data.sha256(p) == hashlib.sha256(b"hello").hexdigest()
    with pytest.raises(CourseInputError, match="expected an existing file"):
        data.sha256(tmp_path / "missing")


def test_manifest_round_trip(data_dir):
    entries = data.read_manifest()
    assert set(entries) == {"a.txt", "sub/b.bin"}
    assert entries["a.txt"] == hashlib.sha256(b"alpha").hexdigest()
    assert all(r.ok for r in data.verify_all())


def test_data_path_verifies(data_dir):
    assert data.data_path("sub/b.bin") == data_dir / "sub" / "b.bin"
    (data_dir / "a.txt").write_bytes(b"tampered")
    with pytest.raises(data.DataIntegrityError, match="a.txt does not match its SHA-256"):
        data.data_path("a.txt")
    assert data.data_path("a.txt", verify=False).name == "a.txt"


def test_verify_all_reports_missing_and_corrupt(data_dir):
    (data_dir / "a.txt").write_bytes(b"tampered")
    (data_dir / "sub" / "b.bin").unlink()
    status = {r.path: r.status for r in data.verify_all()}
    assert status == {"a.txt": "corrupt", "sub/b.bin": "missing"}


def test_data_path_bad_input(data_dir):
    with pytest.raises(CourseInputError, match="'x.csv' is not in data/MANIFEST.sha256, which lists 2 files; "
                                               "e.g. 'a.txt', 'sub/b.bin'"):
        data.data_path("x.csv")
    with pytest.raises(CourseInputError, match="did you mean 'sub/b.bin'"):
        data.data_path("sub/b.bim")
    with pytest.raises(CourseInputError, match="name: expected a file name"):
        data.data_path(3)
    with pytest.raises(CourseInputError, match="verify: expected True or False"):
        data.data_path("a.txt", verify="no")
    assert data.data_path(Path("sub") / "b.bin") == data_dir / "sub" / "b.bin"


def test_an_unknown_name_gets_a_short_message():
    # the shipped manifest lists about 200 files; the message used to list them all (5,751 characters)
    with pytest.raises(CourseInputError) as info:
        data.data_path("corpus/lesson.txt")
    assert len(str(info.value)) < 300 and "did you mean 'corpus/lessons.txt'" in str(info.value)


def test_str_paths_work_like_paths(data_dir):
    # read_manifest and verify_all used to crash on a str (AttributeError, TypeError)
    manifest = data_dir / "MANIFEST.sha256"
    assert data.read_manifest(str(manifest)) == data.read_manifest(manifest)
    assert [r.path for r in data.verify_all(str(data_dir))] == ["a.txt", "sub/b.bin"]
    assert data.write_manifest(str(data_dir)) == data_dir / "MANIFEST.sha256"


def test_manifest_and_folder_bad_input(tmp_path):
    with pytest.raises(CourseInputError, match="manifest: expected a path"):
        data.read_manifest(3)
    with pytest.raises(CourseInputError, match="got a folder"):
        data.read_manifest(tmp_path)  # used to give {} silently
    with pytest.raises(CourseInputError, match="manifest: expected an existing file"):
        data.read_manifest(tmp_path / "MANIFEST.sha256")  # an explicit path that is not there
    assert data.manifest_entries(tmp_path / "MANIFEST.sha256") == {}  # where absence is allowed
    with pytest.raises(CourseInputError, match="holding MANIFEST.sha256"):
        data.verify_all(tmp_path)  # used to return [] as if every file were fine
    with pytest.raises(CourseInputError, match="data_dir: expected an existing folder"):
        data.verify_all(tmp_path / "missing")
    with pytest.raises(CourseInputError, match="data_dir: expected an existing folder"):
        data.write_manifest(tmp_path / "missing")
    (tmp_path / "binary").write_bytes(bytes(range(256)))
    with pytest.raises(CourseInputError, match="not a text file"):
        data.read_manifest(tmp_path / "binary")


def test_malformed_manifest_is_reported(tmp_path):
    m = tmp_path / "MANIFEST.sha256"
    m.write_text("not-a-hash  file\n")
    with pytest.raises(data.DataIntegrityError, match="line 1"):
        data.read_manifest(m)


def test_shipped_manifest_is_intact():
    bad = [r for r in data.verify_all() if not r.ok]
    assert not bad, f"shipped data does not match the manifest: {bad}"
    listed = set(data.read_manifest())
    on_disk = {p.relative_to(data.DATA_DIR).as_posix() for p in data.DATA_DIR.rglob("*")
               if p.is_file() and p.name not in {"MANIFEST.sha256", "README.md"}
               and "__pycache__" not in p.parts}
    assert on_disk == listed, "every file under data/ must be in the manifest (run write_manifest())"


def test_data_folder_stays_small():
    total = sum(p.stat().st_size for p in data.DATA_DIR.rglob("*") if p.is_file())
    assert total < 20 * 2**20, f"data/ is {total / 2**20:.1f} MB; the budget is 20 MB"
