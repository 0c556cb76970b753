"""Files rma writes under its data directory are its user's alone: files 0600, folders 0700."""

from __future__ import annotations

import stat
from pathlib import Path

from rma.adapters.email import FolderMailer
from rma.adapters.files import LocalFiles
from rma.adapters.migrate import upgrade
from rma.bootstrap import bootstrap
from rma.config import Settings
from rma.services.event_ports import ClaimedEmail


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_fresh_data_directory_and_its_secrets_and_database_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "var"
    settings = Settings(database_url=f"sqlite:///{data_dir / 'rma.db'}", data_dir=data_dir)

    container = bootstrap(settings)
    upgrade(container.engine)
    container.engine.dispose()

    assert mode(data_dir) == 0o700
    assert mode(data_dir / "secret_key") == 0o600
    assert mode(data_dir / "encryption_key") == 0o600
    database_files = list(data_dir.glob("rma.db*"))
    assert database_files
    assert {p.name: mode(p) for p in database_files} == {p.name: 0o600 for p in database_files}


def test_uploads_are_written_private_in_private_folders(tmp_path: Path) -> None:
    files = LocalFiles(tmp_path / "var" / "uploads")

    files.save("labels/sel_1/ret_1.pdf", b"%PDF-1.4 a label")
    files.save("photos/sel_1/ret_1/ph_1.jpg", b"a photo")

    label = tmp_path / "var" / "uploads" / "labels" / "sel_1" / "ret_1.pdf"
    photo = tmp_path / "var" / "uploads" / "photos" / "sel_1" / "ret_1" / "ph_1.jpg"
    assert mode(label) == 0o600
    assert mode(photo) == 0o600
    for folder in [label.parent, label.parent.parent, photo.parent, tmp_path / "var" / "uploads"]:
        assert mode(folder) == 0o700, folder


def test_mail_written_to_the_folder_is_private(tmp_path: Path) -> None:
    mailer = FolderMailer(tmp_path / "var" / "mail", "rma <no-reply@localhost>")
    email = ClaimedEmail(
        "eml_1", "ada@example.com", "Your return", "Open http://x/actions/t", "<p>t</p>", 1
    )

    mailer.send(email)

    assert mode(tmp_path / "var" / "mail") == 0o700
    assert [mode(p) for p in mailer.messages()] == [0o600]
