"""The double-scan guard: one trigger pull read twice counts once."""

from __future__ import annotations


class DoubleScanGuard:
    """Drops a scanner's double read of one code; in counting mode keeps every scan.

    In picking mode a code identical to one accepted less than `window_s` seconds before is a
    double read (one trigger pull decoded twice) and is dropped; at `window_s` or later it counts
    (a person pulled the trigger again). The last accepted time is kept per code, not just for the
    last code: a presentation scanner that sees two barcodes on one pack can read A, B, A within
    one pull, and the second A is still a double read. Other codes in between reset nothing.
    In counting mode (`counting=True`, stock counts of identical packs) every scan counts.
    """

    def __init__(self, window_s: float = 0.3, counting: bool = False) -> None:
        if window_s < 0:
            raise ValueError(f"window_s must be >= 0, got {window_s}")
        self.window_s = window_s
        self.counting = counting
        self._last: dict[str, float] = {}

    def accept(self, raw_or_code: str, t: float) -> bool:
        """Whether the scan of `raw_or_code` at monotonic time `t` (seconds) counts."""
        key = raw_or_code.strip()
        if self.counting:
            self._last[key] = t
            return True
        last = self._last.get(key)
        if last is not None and 0 <= t - last < self.window_s:
            return False
        self._forget_before(t - self.window_s)
        self._last[key] = t
        return True

    def reset(self) -> None:
        """Forget every code seen (e.g. when a new pick task starts)."""
        self._last.clear()

    def _forget_before(self, cutoff: float) -> None:
        if len(self._last) > 64:
            self._last = {k: v for k, v in self._last.items() if v >= cutoff}
