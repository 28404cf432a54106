"""GSM text planning: encoding chosen and parts built (UDH included), on one core.

Run: python bench/bench_gsm.py
Targets: >= 100,000 single-part GSM 7-bit texts/s and >= 30,000 three-part
UCS-2 texts/s; also the count the submit path does for every message.
"""

from __future__ import annotations

import timeit

from common import machine

from heliograph.wire.gsm.parts import count_parts, split_text

CASES = {
    "single-part GSM 7-bit split": (
        "Your verification code is 481516. It expires in 10 minutes.",
        split_text,
    ),
    "three-part UCS-2 split": ("Здравствуйте! Ваш заказ №4815 готов к выдаче. " * 4, split_text),
    "count_parts, short ASCII": ("Your verification code is 481516.", count_parts),
}


def main() -> None:
    print(f"machine: {machine()}")
    for name, (text, fn) in CASES.items():
        if fn is split_text:
            parts = len(split_text(text, reference=7).parts)

            def run(t: str = text) -> object:
                return split_text(t, reference=7)
        else:
            parts = count_parts(text)[1]

            def run(t: str = text) -> object:
                return count_parts(t)

        n = 20_000
        best = min(timeit.repeat(run, number=n, repeat=5)) / n
        print(
            f"{name} ({parts} part{'s' if parts > 1 else ''}): {best * 1e6:.1f} µs, "
            f"{1 / best:,.0f}/s"
        )


if __name__ == "__main__":
    main()
