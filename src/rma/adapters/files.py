"""Uploaded files on the local disk, and the check that an image is really one."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from PIL import Image

from rma.adapters.private_files import private_dir, write_private

_IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# A decompression bomb is refused, not decoded: no photo needs more pixels than this.
_MAX_PIXELS = 60_000_000


class LocalFiles:
    """Files kept under one directory, addressed by relative keys we make ourselves."""

    def __init__(self, root: Path):
        self.root = root

    def save(self, key: str, data: bytes) -> None:
        private_dir(self.root)
        write_private(self._path(key), data)  # 0600, and readers never see half a file

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def image_type(self, data: bytes) -> str | None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data)) as image:
                    kind = image.format
                    if image.width * image.height > _MAX_PIXELS:
                        return None
                    image.verify()
        except (
            OSError,
            ValueError,
            SyntaxError,
            Image.DecompressionBombWarning,
            Image.DecompressionBombError,
        ):
            return None
        return _IMAGE_TYPES.get(kind or "")

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"a file key may not leave the uploads directory: {key}")
        return path
