"""Uploads: round trips of .npy/.npz/PNG/JPEG built in memory, every refusal
with a message naming its cause, and fuzzing (random and mutated bytes give
finite fields or an UploadError, never another exception)."""

import io
import operator
import pickle
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from idf.io.uploads import (
    JPEG_MAGIC,
    NPY_MAGIC,
    PNG_MAGIC,
    UploadError,
    detect_format,
    fit_field,
    read_fields,
    standardise,
)

HIT: dict[str, bool] = {}  # a pickle payload below would set HIT["ran"] if anything unpickled it


def npy(array, **kw) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, **kw)
    return buf.getvalue()


def npz(compressed=False, **arrays) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def image(array: np.ndarray, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, fmt, **kw)
    return buf.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height (8-bit gray)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return PNG_MAGIC + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def refused(name: str, data: bytes, **kw) -> str:
    with pytest.raises(UploadError) as info:
        read_fields(name, data, **kw)
    message = str(info.value)
    assert "\n" not in message and message.startswith(name.rsplit("/", 1)[-1].replace("\n", "?")[:20])
    return message


RNG = np.random.default_rng(0)
FIELDS = RNG.normal(size=(5, 8, 8))


# -- round trips ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int32, np.uint8, np.bool_])
def test_npy_round_trip_keeps_values(dtype):
    x = (FIELDS * 10).astype(dtype)
    out = read_fields("f.npy", npy(x))
    assert out.dtype == np.float64 and out.shape == (5, 8, 8)
    np.testing.assert_array_equal(out, x.astype(np.float64))


def test_one_field_becomes_n_1_and_fortran_order_is_read():
    x = np.asfortranarray(FIELDS[0])
    out = read_fields("one.npy", npy(x))
    assert out.shape == (1, 8, 8)
    np.testing.assert_array_equal(out[0], FIELDS[0])


def test_npz_picks_fields_then_x_then_the_only_array():
    np.testing.assert_array_equal(read_fields("a.npz", npz(x=FIELDS[:2], fields=FIELDS)), FIELDS)
    np.testing.assert_array_equal(read_fields("a.npz", npz(y=FIELDS[:1], x=FIELDS)), FIELDS)
    np.testing.assert_array_equal(read_fields("a.npz", npz(compressed=True, samples=FIELDS)), FIELDS)
    assert "name the one" not in refused("a.npz", npz()) and "no arrays" in refused("a.npz", npz())
    message = refused("a.npz", npz(a=FIELDS, b=FIELDS))
    assert "2 arrays (a, b)" in message and "fields" in message


def test_png_round_trip_is_the_standardised_image():
    pixels = RNG.integers(0, 256, (16, 16), dtype=np.uint8)
    out = read_fields("img.png", image(pixels))
    assert out.shape == (1, 16, 16)
    np.testing.assert_allclose(out[0], standardise(pixels), atol=1e-6)
    assert abs(out.mean()) < 1e-12 and abs(out.std() - 1.0) < 1e-12


def test_images_are_cropped_to_the_central_square_and_resized():
    pixels = np.zeros((20, 30), np.uint8)
    pixels[:, 5:25] = np.arange(20, dtype=np.uint8)[:, None] * 10  # only the central 20 × 20 varies
    out = read_fields("wide.png", image(pixels))
    np.testing.assert_allclose(out[0], standardise(pixels[:, 5:25]), atol=1e-6)
    assert read_fields("wide.png", image(pixels), side=8).shape == (1, 8, 8)
    rgb = np.stack([pixels] * 3, axis=-1)
    jpeg = read_fields("photo.jpg", image(rgb, "JPEG", quality=95))
    assert jpeg.shape == (1, 20, 20) and np.corrcoef(jpeg.ravel(), out.ravel())[0, 1] > 0.99
    assert read_fields("big.png", image(RNG.integers(0, 256, (300, 200), dtype=np.uint8))).shape == (1, 64, 64)


def test_format_comes_from_the_content_not_the_name():
    assert detect_format(npy(FIELDS)) == "npy" and detect_format(npz(x=FIELDS)) == "npz"
    assert detect_format(image(np.zeros((4, 4), np.uint8))) == "png" and detect_format(b"\xff\xd8\xff\xe0") == "jpeg"
    np.testing.assert_array_equal(read_fields("renamed.png", npy(FIELDS)), FIELDS)
    assert "not a .npy, .npz, PNG or JPEG" in refused("f.npy", b"just some text\n")


def test_fit_field_keeps_matching_sides_and_averages_when_shrinking():
    x = RNG.normal(size=(8, 8))
    np.testing.assert_array_equal(fit_field(x, 8), x)
    np.testing.assert_allclose(fit_field(np.full((10, 10), 3.5), 4), 3.5, rtol=1e-6)
    checker = np.where(np.add.outer(np.arange(16), np.arange(16)) % 2 == 0, 1.0, -1.0)
    small = fit_field(checker, 8)  # a subsample would be all +1 or all −1
    assert small.shape == (8, 8) and np.abs(small[1:-1, 1:-1]).max() < 1e-6 and np.abs(small).max() < 0.3
    assert fit_field(x, 16).shape == (16, 16)


# -- refusals ---------------------------------------------------------------------
def test_pickle_bearing_npz_is_refused_and_nothing_is_unpickled():
    objects = np.empty(2, dtype=object)
    objects[:] = [{"a": 1}, [2]]
    message = refused("evil.npz", npz(fields=objects))
    assert "pickle is refused" in message and "evil.npz['fields']" in message

    class Payload:
        def __reduce__(self):
            return operator.setitem, (HIT, "ran", True)

    header = npy(objects, allow_pickle=True)
    body = pickle.dumps(Payload())
    assert "pickle is refused" in refused("evil.npy", header + body)
    assert "pickle is refused" in refused("evil.npz", npz(x=np.array([Payload()], dtype=object)))
    assert not HIT


def test_pickle_bearing_npy_and_non_numeric_dtypes_are_refused():
    assert "pickle is refused" in refused(
        "obj.npy", npy(np.array([[1, 2], [3, None]], dtype=object), allow_pickle=True)
    )
    assert "dtype <U1 is not real numbers" in refused("text.npy", npy(np.full((4, 4), "a")))
    assert "is not real numbers" in refused("complex.npy", npy(np.ones((4, 4), np.complex128)))
    structured = np.zeros((4, 4), dtype=[("a", "f8"), ("b", "i4")])
    assert "is not real numbers" in refused("rec.npy", npy(structured))


def test_non_finite_and_huge_values_are_refused():
    x = FIELDS.copy()
    x[0, 1, 2], x[3, 0, 0] = np.nan, np.inf
    assert "2 of 320 values are NaN or infinite" in refused("nan.npy", npy(x))
    assert "beyond float32 range" in refused("huge.npy", npy(np.full((4, 4), 1e300)))


@pytest.mark.parametrize(
    ("shape", "kw", "cause"),
    [
        ((64,), {}, "has 1 dimensions, not 2 or 3"),
        ((2, 2, 8, 8), {}, "has 4 dimensions"),
        ((3, 5, 7), {}, "shape (3, 5, 7) is not square; upload [N, L, L] with 4 ≤ L ≤ 64"),
        ((2, 3, 3), {}, "side L = 3 is outside 4…64"),
        ((1, 80, 80), {}, "side L = 80 is outside 4…64"),
        ((0, 8, 8), {}, "no fields (N = 0)"),
        ((3, 8, 8), {"max_count": 2}, "3 fields is more than 2"),
        ((10, 8, 8), {"min_count": 64}, "10 fields is fewer than 64; upload [N, L, L] with 4 ≤ L ≤ 64 with 64 ≤ N"),
        ((10, 16, 16), {"side": 8}, "fields are 16×16, this needs 8×8; upload [N, 8, 8]"),
    ],
)
def test_shapes_outside_the_limits_are_refused(shape, kw, cause):
    assert cause in refused("fields.npy", npy(np.zeros(shape)), **kw)


def test_sizes_are_checked_before_anything_is_allocated_or_decompressed():
    assert "over the 1000 bytes limit" in refused("big.npy", npy(FIELDS), max_bytes=1000)
    assert "over the 20 MiB limit" in refused("big.npy", b"\x93NUMPY" + bytes(20 * 2**20))
    zeros = npz(compressed=True, fields=np.zeros((400, 16, 16)))  # 800 KiB of zeros in a few KiB
    assert len(zeros) < 10_000
    assert "once decompressed, over the 100000 bytes limit" in refused("bomb.npz", zeros, max_bytes=100_000)
    header = npy(np.zeros((60_000, 64, 64), np.float32))[:128]  # claims 938 MiB, holds none of it
    assert "the array is 938 MiB, over the 20 MiB limit" in refused("claims.npy", header)
    assert "shape (10, 64, 64) needs 327680 bytes of data, it has 0" in refused(
        "claims.npy", npy(np.zeros((10, 64, 64)))[:128]
    )
    assert "is more than 65536" in refused("claims.npy", npy(np.zeros((70_000, 4, 4), np.uint8))[:128])


def test_decompression_bombs_and_big_images_are_refused_from_the_header():
    assert "decompression bomb" in refused("bomb.png", png_header(100_000, 100_000))
    assert "more than the 16,777,216 allowed" in refused("big.png", png_header(5000, 5000))
    pixels = np.zeros((100, 100), np.uint8)
    assert "10000 pixels" not in refused("img.png", image(pixels), max_pixels=5000)
    assert "100×100 pixels is more than the 5,000 allowed" in refused("img.png", image(pixels), max_pixels=5000)
    assert "too small" in refused("tiny.png", image(np.zeros((3, 40), np.uint8)))


def test_truncated_garbage_and_empty_files_are_refused():
    assert "the file is empty" in refused("empty.npy", b"")
    assert "truncated" in refused("cut.npy", npy(FIELDS)[:-10])
    assert "not a readable PNG or JPEG image" in refused(
        "cut.png", image(RNG.integers(0, 256, (32, 32), dtype=np.uint8))[:200]
    )
    assert "not a readable .npz archive" in refused("cut.npz", npz(fields=FIELDS)[:200])
    assert "not a readable .npy file" in refused("junk.npy", NPY_MAGIC + b"\x01\x00\xff\xff garbage")
    assert "not a readable PNG or JPEG image" in refused("junk.jpg", JPEG_MAGIC + bytes(100))


def test_messages_are_one_line_with_a_safe_file_name():
    message = refused("dir/../bad\nname.npy", b"\x00")
    assert message.startswith("bad?name.npy: not a .npy")
    assert refused("x" * 500 + ".npy", b"").startswith("x" * 57 + "…: the file is empty")


# -- fuzzing ----------------------------------------------------------------------
VALID = [
    npy(FIELDS),
    npy(FIELDS[0].astype(np.float32)),
    npz(fields=FIELDS),
    npz(compressed=True, fields=FIELDS),
    image(RNG.integers(0, 256, (12, 12), dtype=np.uint8)),
    image(RNG.integers(0, 256, (12, 16, 3), dtype=np.uint8), "JPEG"),
]


def check(data: bytes) -> None:
    """read_fields returns finite [N, L, L] float64 or raises UploadError; nothing else."""
    try:
        out = read_fields("fuzz.bin", data)
    except UploadError as err:
        assert str(err) and "\n" not in str(err)
        return
    assert out.dtype == np.float64 and out.ndim == 3 and out.shape[1] == out.shape[2] and np.isfinite(out).all()


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    prefix=st.sampled_from(
        [
            b"",
            NPY_MAGIC,
            NPY_MAGIC + b"\x01\x00",
            NPY_MAGIC + b"\x02\x00",
            b"PK\x03\x04",
            b"PK\x05\x06",
            PNG_MAGIC,
            JPEG_MAGIC,
        ]
    ),
    body=st.binary(max_size=2048),
)
def test_random_bytes_never_raise_anything_but_upload_error(prefix, body):
    check(prefix + body)


@FUZZ
@given(which=st.integers(0, len(VALID) - 1), data=st.data())
def test_mutated_valid_files_never_raise_anything_but_upload_error(which, data):
    raw = bytearray(VALID[which])
    edits = data.draw(st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 255)), max_size=8))
    for pos, byte in edits:
        raw[pos] = byte
    cut = data.draw(st.integers(1, len(raw)))
    check(bytes(raw[:cut]))
