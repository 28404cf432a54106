"""Content helpers with libraries the pure layers may not use: images to OTA bitmaps.

An uploaded image (JPEG, GIF, PNG, BMP, WBMP... whatever Pillow reads) becomes a
monochrome Nokia OTA bitmap (Smart Messaging 3.0.0) of the size the content kind
uses — 72x14 for operator logos and CLI icons, 72x28 for picture messages: scaled
to fit with its aspect ratio kept, centred on white, thresholded at mid-grey.
Images are checked before they are decoded: at most ``MAX_IMAGE_OCTETS`` octets
and ``MAX_IMAGE_PIXELS`` pixels, so a small file that unpacks to an enormous
picture is refused, not decoded. Pillow is optional; without it an image is
answered "not supported" and the hex OTA form still works.
"""

from __future__ import annotations

import io
import warnings
from typing import Final

from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.wire.ota.bitmap import OtaBitmap, encode_ota_bitmap

__all__ = [
    "LOGO_SIZE",
    "MAX_IMAGE_OCTETS",
    "MAX_IMAGE_PIXELS",
    "PICTURE_SIZE",
    "ota_bitmap_from_image",
]

LOGO_SIZE: Final = (72, 14)
PICTURE_SIZE: Final = (72, 28)
MAX_IMAGE_OCTETS: Final = 2 * 1024 * 1024
MAX_IMAGE_PIXELS: Final = 16_000_000


def ota_bitmap_from_image(data: bytes, size: tuple[int, int], *, field: str) -> bytes:
    """An OTA bitmap of ``size`` drawn from an image file.

    Raises: Rejected naming ``field`` (INVALID_REQUEST for what is not an image or
    is too large, NOT_SUPPORTED when Pillow is not installed).
    """
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise Rejected(
            RejectReason.NOT_SUPPORTED,
            "images need Pillow on the gateway (pip install pillow); send the bitmap as hex OTA",
            field=field,
        ) from None
    if len(data) > MAX_IMAGE_OCTETS:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"the image is {len(data)} octets, at most {MAX_IMAGE_OCTETS}",
            field=field,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise Rejected(RejectReason.INVALID_REQUEST, f"image refused: {exc}", field=field) from exc
    except (UnidentifiedImageError, OSError, ValueError, EOFError) as exc:
        raise Rejected(
            RejectReason.INVALID_REQUEST, f"not an image Pillow can read: {exc}", field=field
        ) from exc
    try:
        with image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise Rejected(
                    RejectReason.INVALID_REQUEST,
                    f"the image is {width}x{height} pixels, at most {MAX_IMAGE_PIXELS} in all",
                    field=field,
                )
            image.seek(0)
            grey = image.convert("L")
    except (UnidentifiedImageError, OSError, ValueError, EOFError) as exc:
        raise Rejected(
            RejectReason.INVALID_REQUEST, f"not an image Pillow can read: {exc}", field=field
        ) from exc
    grey.thumbnail(size)
    canvas = Image.new("L", size, 255)
    canvas.paste(grey, ((size[0] - grey.width) // 2, (size[1] - grey.height) // 2))
    rows = [
        "".join("#" if canvas.getpixel((x, y)) < 128 else "." for x in range(size[0]))  # type: ignore[operator]
        for y in range(size[1])
    ]
    return encode_ota_bitmap(OtaBitmap.from_rows(rows))
