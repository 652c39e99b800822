"""Fields a person uploads (an initial field, training data), read safely.

``read_fields(name, data)`` turns the bytes of an uploaded file into float64
fields [N, L, L] or raises ``UploadError`` with one line that says what is
wrong and what to do. The format is taken from the content (magic bytes), not
from the name; the name only appears in messages.

- ``.npy``: the header is parsed and checked (dtype, shape, byte count)
  before any array is allocated, then ``np.load(..., allow_pickle=False)``.
  Object arrays (which need pickle) are refused.
- ``.npz``: opened as a zip; the array ``fields``, else ``x``, else the only
  one, is read with at most ``max_bytes`` decompressed, then as a ``.npy``.
- PNG/JPEG: Pillow, restricted to those two decoders; the size in the header
  is checked against ``max_pixels`` before anything is decoded (a
  decompression bomb is refused, not decoded). The image is converted to
  grayscale, cropped to its central square, resized and standardised to zero
  mean and unit variance.

Arrays keep their values (float64); every value must be finite and within
float32 range, since the models and loops may run in float32.
"""

from __future__ import annotations

import io
import lzma
import math
import struct
import tokenize
import zipfile
import zlib

import numpy as np
import numpy.lib.format as npy_format
from PIL import Image, UnidentifiedImageError

MAX_BYTES = 20 * 2**20  # per upload, and per array once decompressed; = server.maxUploadSize (MiB)
MIN_SIDE = 4
MAX_SIDE = 64
MAX_COUNT = 65_536
MAX_PIXELS = 4096 * 4096  # image width × height, read from the header before decoding
MAX_ABS = float(np.finfo(np.float32).max)

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a file entry; an empty archive's end record
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
_INT_KINDS = "biu"
_REAL_KINDS = "biuf"
_GRAY_FLOAT_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N", "F"}  # converted to "F", not clipped to 8 bits


class UploadError(ValueError):
    """An upload that was refused; ``str(error)`` is one line: the file, what
    is wrong, and what to upload instead."""


def detect_format(data: bytes) -> str | None:
    """ "npy", "npz", "png" or "jpeg" from the first bytes, or None."""
    if data.startswith(NPY_MAGIC):
        return "npy"
    if data.startswith(ZIP_MAGICS):
        return "npz"
    if data.startswith(PNG_MAGIC):
        return "png"
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    return None


def read_fields(
    name: str,
    data: bytes,
    *,
    side: int | None = None,
    min_count: int = 1,
    max_bytes: int = MAX_BYTES,
    max_side: int = MAX_SIDE,
    max_count: int = MAX_COUNT,
    max_pixels: int = MAX_PIXELS,
) -> np.ndarray:
    """Fields [N, L, L] (float64, finite) from an uploaded file's bytes.

    name       the file's name, for messages only
    side       if given, arrays must be [N, side, side] (or [side, side]) and
               images are resized to side × side; else 4 ≤ L ≤ ``max_side``
               and images are shrunk to at most ``max_side``
    min_count  fewest fields N accepted (an image is one field)
    max_bytes  largest upload, and largest array once decompressed (npz)
    max_side, max_count, max_pixels  limits on L, N and an image's w × h
    Raises UploadError (a ValueError) for anything else.
    """
    label = _label(name)
    if not data:
        raise UploadError(f"{label}: the file is empty; upload a .npy, .npz, PNG or JPEG file")
    if len(data) > max_bytes:
        raise UploadError(
            f"{label}: {_mib(len(data))} is over the {_mib(max_bytes)} limit; upload fewer or smaller fields"
        )
    limits = _Limits(side, min_count, max_bytes, max_side, max_count, max_pixels)
    kind = detect_format(bytes(data[:8]))
    if kind == "npy":
        fields = _read_npy(label, data, limits)
    elif kind == "npz":
        fields = _read_npz(label, data, limits)
    elif kind in ("png", "jpeg"):
        fields = _read_image(label, data, limits)
    else:
        raise UploadError(
            f"{label}: not a .npy, .npz, PNG or JPEG file (unrecognised content); "
            "save arrays with np.save or np.savez and images as PNG"
        )
    return fields


def fit_field(field: np.ndarray, size: int) -> np.ndarray:
    """A field [H, W] resized to [size, size] (float64).

    Unchanged (a float64 copy) when it is already size × size. Otherwise a
    bilinear resize of the float data in Pillow's 32-bit "F" mode, which
    averages over the footprint when shrinking (antialiased), so a 64 × 64
    field becomes a 16 × 16 one of local means, not a subsample.
    """
    x = np.asarray(field, np.float64)
    if x.ndim != 2:
        raise ValueError(f"fit_field expects one field [H, W], got shape {x.shape}")
    if x.shape == (size, size):
        return x.copy()
    img = Image.fromarray(x.astype(np.float32))
    return np.asarray(img.resize((size, size), Image.Resampling.BILINEAR), np.float64)


def standardise(field: np.ndarray) -> np.ndarray:
    """(x − mean) / s.d. over all sites (float64); a constant field becomes 0."""
    x = np.asarray(field, np.float64)
    x = x - x.mean()
    sd = x.std()
    return x / sd if sd > 0 else x


# -- internals --------------------------------------------------------------------
class _Limits:
    def __init__(self, side, min_count, max_bytes, max_side, max_count, max_pixels) -> None:
        self.side, self.min_count, self.max_bytes = side, max(int(min_count), 1), max_bytes
        self.max_side, self.max_count, self.max_pixels = max_side, max_count, max_pixels

    def wanted(self) -> str:
        """What a valid array looks like, for messages."""
        if self.side is not None:
            lattice = f"[N, {self.side}, {self.side}]"
        else:
            lattice = f"[N, L, L] with {MIN_SIDE} ≤ L ≤ {self.max_side}"
        if self.min_count > 1:
            return f"upload {lattice} with {self.min_count} ≤ N ≤ {self.max_count}"
        return f"upload {lattice} (or one [L, L]), N ≤ {self.max_count}"


def _label(name: str) -> str:
    """The file's base name, printable and short (it is user input)."""
    base = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch if ch.isprintable() else "?" for ch in base) or "upload"
    return base if len(base) <= 60 else base[:57] + "…"


def _mib(n: int) -> str:
    return f"{n / 2**20:.3g} MiB" if n >= 2**20 else f"{n} bytes"


def _read_npy(label: str, data: bytes, limits: _Limits) -> np.ndarray:
    buf = io.BytesIO(data)
    try:
        version = npy_format.read_magic(buf)
        if version == (1, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_1_0(buf)
        elif version == (2, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_2_0(buf)
        else:
            shape = None
    except (
        ValueError,
        TypeError,
        EOFError,
        OSError,
        SyntaxError,
        tokenize.TokenError,
        RecursionError,
        MemoryError,
    ) as err:  # numpy tokenizes and literal_evals the header text
        raise UploadError(f"{label}: not a readable .npy file ({_reason(err)}); save it with np.save") from None
    if shape is None:
        raise UploadError(
            f"{label}: .npy format version {version[0]}.{version[1]} is not supported; save plain numbers with np.save"
        )
    if dtype.hasobject:
        raise UploadError(
            f"{label}: holds Python objects (dtype {dtype}), which would need pickle; pickle is "
            "refused for safety. Save numbers: np.save(path, np.asarray(x, dtype=np.float64))"
        )
    if dtype.fields is not None or dtype.kind not in _REAL_KINDS:
        raise UploadError(f"{label}: dtype {dtype} is not real numbers; save float or integer fields")
    fields_shape = _check_shape(label, tuple(int(n) for n in shape), limits)
    needed = math.prod(shape) * dtype.itemsize
    if needed > limits.max_bytes:
        raise UploadError(
            f"{label}: the array is {_mib(needed)}, over the {_mib(limits.max_bytes)} limit; "
            "upload fewer or smaller fields"
        )
    if needed > len(data) - buf.tell():
        raise UploadError(
            f"{label}: the file is truncated (shape {tuple(shape)} needs {needed} bytes of data, "
            f"it has {len(data) - buf.tell()}); upload the whole file"
        )
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, TypeError, EOFError, OSError) as err:
        raise UploadError(f"{label}: not a readable .npy file ({_reason(err)}); save it with np.save") from None
    return _finish(label, np.asarray(array).reshape(fields_shape))


def _check_shape(label: str, shape: tuple[int, ...], limits: _Limits) -> tuple[int, int, int]:
    """[N, L, L] from a header's shape, or UploadError naming what is off."""
    if len(shape) not in (2, 3):
        raise UploadError(f"{label}: shape {shape} has {len(shape)} dimensions, not 2 or 3; {limits.wanted()}")
    n, h, w = (1, *shape) if len(shape) == 2 else shape
    if h != w:
        raise UploadError(f"{label}: shape {shape} is not square; {limits.wanted()}")
    if limits.side is not None and h != limits.side:
        raise UploadError(f"{label}: fields are {h}×{w}, this needs {limits.side}×{limits.side}; {limits.wanted()}")
    if not MIN_SIDE <= h <= limits.max_side:
        raise UploadError(f"{label}: side L = {h} is outside {MIN_SIDE}…{limits.max_side}; {limits.wanted()}")
    if n == 0:
        raise UploadError(f"{label}: holds no fields (N = 0); {limits.wanted()}")
    if n > limits.max_count:
        raise UploadError(f"{label}: {n} fields is more than {limits.max_count}; upload fewer")
    if n < limits.min_count:
        raise UploadError(f"{label}: {n} fields is fewer than {limits.min_count}; {limits.wanted()}")
    return n, h, w


def _finish(label: str, array: np.ndarray) -> np.ndarray:
    """float64, finite and within float32 range, or UploadError."""
    with np.errstate(invalid="ignore", over="ignore"):  # e.g. a float128 beyond float64 becomes inf: refused below
        fields = np.array(array, dtype=np.float64)  # a copy: frombuffer arrays are read-only
    finite = np.isfinite(fields)
    if not finite.all():
        bad = int(fields.size - np.count_nonzero(finite))
        raise UploadError(f"{label}: {bad} of {fields.size} values are NaN or infinite; upload finite numbers")
    biggest = float(np.abs(fields).max())
    if biggest > MAX_ABS:
        raise UploadError(
            f"{label}: values reach {biggest:.3g}, beyond float32 range ({MAX_ABS:.3g}); rescale the fields"
        )
    return fields


_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    KeyError,
    MemoryError,
)


def _read_npz(label: str, data: bytes, limits: _Limits) -> np.ndarray:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = {info.filename.removesuffix(".npy"): info for info in archive.infolist() if not info.is_dir()}
            key = _pick_array(label, list(infos))
            info = infos[key]
            if info.file_size > limits.max_bytes:
                raise UploadError(
                    f"{label}: array '{_label(key)}' is {_mib(info.file_size)} once decompressed, "
                    f"over the {_mib(limits.max_bytes)} limit; upload fewer or smaller fields"
                )
            with archive.open(info) as member:
                raw = member.read(limits.max_bytes + 1)
    except UploadError:
        raise
    except _ZIP_ERRORS as err:
        raise UploadError(
            f"{label}: not a readable .npz archive ({_reason(err)}); save it with np.savez or np.savez_compressed"
        ) from None
    if len(raw) > limits.max_bytes:
        raise UploadError(
            f"{label}: array '{_label(key)}' is over the {_mib(limits.max_bytes)} limit once "
            "decompressed; upload fewer or smaller fields"
        )
    if not raw.startswith(NPY_MAGIC):
        raise UploadError(f"{label}: member '{_label(key)}' is not a .npy array; save it with np.savez")
    return _read_npy(f"{label}['{_label(key)}']", raw, limits)


def _pick_array(label: str, names: list[str]) -> str:
    """``fields``, else ``x``, else the only array."""
    for preferred in ("fields", "x"):
        if preferred in names:
            return preferred
    if len(names) == 1:
        return names[0]
    if not names:
        raise UploadError(f"{label}: the .npz holds no arrays; save one with np.savez(path, fields=x)")
    shown = ", ".join(_label(n) for n in names[:5]) + (", …" if len(names) > 5 else "")
    raise UploadError(
        f"{label}: holds {len(names)} arrays ({shown}) and none is named 'fields' or 'x'; "
        "save the one to use as np.savez(path, fields=x)"
    )


_IMAGE_ERRORS = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    EOFError,
    IndexError,
    KeyError,
    struct.error,
    zlib.error,
    MemoryError,
)


def _read_image(label: str, data: bytes, limits: _Limits) -> np.ndarray:
    try:
        img = Image.open(io.BytesIO(data), formats=["PNG", "JPEG"])  # reads the header only
        width, height = img.size
        if width * height > limits.max_pixels:
            raise UploadError(
                f"{label}: {width}×{height} pixels is more than the {limits.max_pixels:,} allowed; "
                "shrink the image first"
            )
        if min(width, height) < MIN_SIDE:
            raise UploadError(f"{label}: {width}×{height} pixels is too small; upload at least {MIN_SIDE}×{MIN_SIDE}")
        short = min(width, height)
        target = limits.side if limits.side is not None else min(short, limits.max_side)
        if img.format == "JPEG":
            img.draft("L", (target, target))  # decode at a reduced DCT scale when it is much bigger
        img.load()
        gray = img.convert("F" if img.mode in _GRAY_FLOAT_MODES else "L")
        pixels = np.asarray(gray, np.float64)
    except UploadError:
        raise
    except Image.DecompressionBombError:
        raise UploadError(
            f"{label}: the image claims more pixels than the {limits.max_pixels:,} allowed "
            "(a decompression bomb?); shrink it first"
        ) from None
    except _IMAGE_ERRORS as err:
        raise UploadError(f"{label}: not a readable PNG or JPEG image ({_reason(err)}); re-save it as PNG") from None
    h, w = pixels.shape
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    square = pixels[top : top + s, left : left + s]
    return standardise(fit_field(square, target))[None]


def _reason(err: BaseException) -> str:
    """An exception as a short single line (its text can carry the file's bytes)."""
    if isinstance(err, UnidentifiedImageError):
        return "unrecognised image data"  # Pillow's text names an in-memory buffer
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 80 else text[:77] + "…"
