"""Small files the client side keeps on disk (the nonce mark, the pending-orders journal)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, text: str, *, prefix: str, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``text`` all at once (temp file in the same directory, mode 0600,
    then ``os.replace``): a crash leaves the old file or the new one, never half of one.
    Raises OSError; the temp file is removed on any failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=prefix, dir=str(path.parent))
    try:
        if hasattr(os, "fchmod"):  # mkstemp already makes it 0600; be explicit
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding=encoding) as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
