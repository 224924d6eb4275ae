"""A contact sheet of a preprocessed folder: every output image, small, with its laterality,
view and flip written on it, failed files as red tiles; for checking a run by eye."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from mammofm.common.atomic import atomic_write_bytes


def contact_sheet(manifest: pd.DataFrame, path: str | os.PathLike[str],
                  tile_height: int = 200, columns: int = 8) -> Path:
    """Write an 8-bit PNG grid of the manifest's images (atomically) and return its path."""
    rows = list(manifest.itertuples(index=False))
    if not rows:
        raise ValueError("contact_sheet: the manifest is empty")
    ok = [r for r in rows if r.status == "ok"]
    aspect = (ok[0].out_width / ok[0].out_height) if ok else 0.6
    th, tw = int(tile_height), max(8, int(round(tile_height * aspect)))
    tiles = []
    for r in rows:
        tile = np.zeros((th, tw, 3), np.uint8)
        img = cv2.imread(str(r.image_path), cv2.IMREAD_UNCHANGED) if r.status == "ok" else None
        if img is not None:
            g = (img >> 8).astype(np.uint8) if img.dtype == np.uint16 else img
            tile[:] = cv2.cvtColor(cv2.resize(g, (tw, th), interpolation=cv2.INTER_AREA),
                                   cv2.COLOR_GRAY2BGR)
            text = f"{r.laterality or '?'}{r.view or '?'}{' flip' if r.flipped else ''}"
            color = (80, 220, 80)
        else:
            tile[:] = (0, 0, 90)
            text = "failed"
            color = (80, 80, 255)
        cv2.putText(tile, text, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, color, 1, cv2.LINE_AA)
        cv2.putText(tile, Path(str(r.source_path)).name[:18], (4, th - 6),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 255, 0), 1, cv2.LINE_AA)
        cv2.rectangle(tile, (0, 0), (tw - 1, th - 1), (60, 60, 60), 1)
        tiles.append(tile)
    cols = max(1, min(columns, len(tiles)))
    while len(tiles) % cols:
        tiles.append(np.zeros_like(tiles[0]))
    grid = np.vstack([np.hstack(tiles[i:i + cols]) for i in range(0, len(tiles), cols)])
    ok_, buf = cv2.imencode(".png", grid)  # a BGR picture: OpenCV's own encoder
    if not ok_:
        raise ValueError(f"contact_sheet: PNG encoding failed for {path}")
    return atomic_write_bytes(path, buf.tobytes())
