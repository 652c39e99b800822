"""The upload widget the pages share: ``st.file_uploader`` → ``idf.io.read_fields``.

A refused file is shown as an ``st.error`` (one line: what is wrong, what to
upload) and never raised, so a page keeps rendering with its fallback. The
parsed fields are kept in the session per file, so a rerun after a slider
move does not decode the file again. An upload cannot travel in a URL: a
shared link with ``data=upload`` opens without a file and the page says so.

``forward_run_field`` is the Forward page's cached chain for an uploaded x₀.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import streamlit as st

from idf.io.uploads import MAX_BYTES, MAX_COUNT, MAX_PIXELS, MAX_SIDE, MIN_SIDE, UploadError, detect_format, read_fields

UPLOAD_MIB = MAX_BYTES // 2**20  # the widget's limit; .streamlit/config.toml sets server.maxUploadSize to match
ARRAY_TYPES = ("npy", "npz")
IMAGE_TYPES = ("png", "jpg", "jpeg")


class Upload(NamedTuple):
    """name: the file's name (None: nothing uploaded); fields [N, L, L]
    float64 (None: nothing uploaded, or refused); error: why it was refused;
    kind: "npy", "npz", "png" or "jpeg" as read from the content (None if unknown)."""

    name: str | None
    fields: np.ndarray | None
    error: str | None
    kind: str | None = None

    @property
    def is_image(self) -> bool:
        return self.kind in ("png", "jpeg")


def limits_text(types: tuple[str, ...], side: int | None = None, min_count: int = 1) -> str:
    """The limits in words, for a widget's help."""
    lattice = f"[N, {side}, {side}]" if side else f"[N, L, L] or one [L, L] with {MIN_SIDE} ≤ L ≤ {MAX_SIDE}"
    count = f"{min_count} ≤ N ≤ {MAX_COUNT:,}" if min_count > 1 else f"N ≤ {MAX_COUNT:,}"
    text = (
        f"At most {UPLOAD_MIB} MB. Arrays: .npy, or .npz with the array named `fields` (else `x`, else the "
        f"only one), shaped {lattice}, {count}, real finite numbers; read without pickle (object arrays "
        "are refused)."
    )
    if any(t in IMAGE_TYPES for t in types):
        text += (
            f" Images (PNG, JPEG): at most {MAX_PIXELS:,} pixels; converted to grayscale, cropped to the "
            "central square, resized to the lattice and standardised (mean 0, s.d. 1)."
        )
    return text


def field_uploader(
    key: str,
    label: str,
    *,
    types: tuple[str, ...] = ARRAY_TYPES + IMAGE_TYPES,
    side: int | None = None,
    min_count: int = 1,
    container: Any = None,
) -> Upload:
    """Draw a file uploader (in ``container``, default the sidebar) and read
    its file with ``read_fields(side=side, min_count=min_count)``.

    Returns an ``Upload``; when the file is refused, an ``st.error`` in the
    main area has already said why.
    """
    box = container if container is not None else st.sidebar
    file = box.file_uploader(
        label, type=list(types), key=key, max_upload_size=UPLOAD_MIB, help=limits_text(types, side, min_count)
    )
    memo_key = f"_upload.{key}"
    if file is None:
        st.session_state.pop(memo_key, None)
        return Upload(None, None, None)
    data = file.getvalue()
    ident = (file.file_id, file.name, side, min_count)
    memo = st.session_state.get(memo_key)
    if memo is not None and memo[0] == ident:
        fields, error = memo[1], memo[2]
    else:
        fields, error = _read(file.name, data, side, min_count), None
        if isinstance(fields, str):
            fields, error = None, fields
        st.session_state[memo_key] = (ident, fields, error)
    if error is not None:
        st.error(error, icon="🚫")
    return Upload(file.name, fields, error, detect_format(data[:8]))


def _read(name: str, data: bytes, side: int | None, min_count: int) -> np.ndarray | str:
    """The fields, or the message saying why the file was refused."""
    try:
        return read_fields(name, data, side=side, min_count=min_count)
    except UploadError as err:
        return str(err)
    except Exception as err:  # noqa: BLE001 - a reader bug must not take the page down; it is reported
        return f"{name}: could not be read ({type(err).__name__}); try saving it again with np.save or as PNG"
