"""Generated labels kept on disk: drawn once per version of what they show, then read back.

Drawing a label (reportlab, barcodes, a QR code) costs tens of milliseconds; reading the file
back costs a fraction of one. Files sit under ``data_dir/cache/labels/<seller>/<return>/``,
named by ``label_version``, which changes with anything the label shows, so a stale label is
never served; older versions of a return's label are removed when a new one is written.
The cache is only a cache: deleting the folder costs one drawing per label.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from rma.adapters.label_pdf import label_version
from rma.adapters.private_files import write_private
from rma.services.labels import ReturnDocuments

Render = Callable[[ReturnDocuments, str], bytes]


class LabelCache:
    """The generated label of a return, drawn by ``render`` when its version is not on disk."""

    def __init__(self, root: Path, render: Render):
        self.root = root
        self._render = render
        self._lock = threading.Lock()
        self.renders = 0  # how many labels were drawn (the rest came from disk)

    def label(self, docs: ReturnDocuments, page_url: str) -> bytes:
        folder = self.root / docs.ret.seller_id / docs.ret.id
        path = folder / f"{label_version(docs, page_url)}.pdf"
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        data = self._render(docs, page_url)
        with self._lock:
            self.renders += 1
        write_private(path, data)
        for older in folder.glob("*.pdf"):
            if older != path:
                older.unlink(missing_ok=True)
        return data
