"""The one error the DICOM layer raises: it names the file and the cause, nothing else."""

from __future__ import annotations

import os


class DicomError(ValueError):
    """A DICOM file that cannot be read or decoded. ``str(err)`` is ``"<path>: <cause>"``."""

    def __init__(self, path: str | os.PathLike[str], cause: str) -> None:
        self.path = str(path)
        self.cause = " ".join(str(cause).split())  # one line, always
        super().__init__(f"{self.path}: {self.cause}")
