"""Generate ``assets/idf_pattern.png``: the shipped 64×64 greyscale image that
the Forward page can diffuse (procedural: the letters "IDF" over concentric
waves; nothing downloaded). Run: ``python assets/make_image.py``."""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SIZE = 64
OUT = Path(__file__).with_name("idf_pattern.png")


def make() -> Image.Image:
    y, x = np.mgrid[0:SIZE, 0:SIZE] / SIZE - 0.5
    waves = 0.5 + 0.25 * np.cos(2 * np.pi * 4 * np.hypot(x, y))
    canvas = Image.fromarray((waves * 255).astype(np.uint8), mode="L")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=26)
    draw.text((SIZE / 2, SIZE / 2), "IDF", fill=255, font=font, anchor="mm", stroke_width=1, stroke_fill=0)
    return canvas


if __name__ == "__main__":
    make().save(OUT)
    print(f"wrote {OUT}")
