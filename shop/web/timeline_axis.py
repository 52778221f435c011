"""The timeline's one time axis: where a moment goes, the ticks, durations as text."""

from __future__ import annotations

from dataclasses import dataclass

# Tick steps in seconds, from 10 ms to 10 minutes: the axis takes the first giving <= MAX_TICKS.
TICK_STEPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600)
MAX_TICKS = 8
MIN_WIDTH_PERCENT = 0.6  # so a 3 ms request still shows as a sliver


@dataclass(frozen=True)
class Axis:
    """Seconds since the request arrived, from 0 to length_seconds, as percentages."""

    length_seconds: float

    def at(self, seconds: float) -> float:
        """Return where a moment falls, in percent of the width (0 to 100)."""
        return min(100.0, max(0.0, seconds / self.length_seconds * 100))

    def width(self, start: float, end: float) -> float:
        """Return the width of a span in percent, never less than a visible sliver."""
        visible = max(self.at(end) - self.at(start), MIN_WIDTH_PERCENT)
        return min(visible, 100.0 - self.at(start)) if self.at(start) < 100 else 0.0

    def ticks(self) -> list[tuple[float, str]]:
        """Return (percent, label) for each tick, at a round step."""
        step = next(
            (step for step in TICK_STEPS if self.length_seconds / step <= MAX_TICKS),
            TICK_STEPS[-1],
        )
        count = int(self.length_seconds / step)
        return [(self.at(n * step), format_seconds(n * step)) for n in range(count + 1)]


def axis_for(latest_seconds: float) -> Axis:
    """Return an axis reaching a little past the latest moment shown."""
    return Axis(max(latest_seconds * 1.05, 0.05))


def format_seconds(seconds: float) -> str:
    """Format a duration for people: "0", "14 ms", "1.5 s", "2 min 5 s"."""
    if seconds <= 0:
        return "0"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.3g} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def short_worker(worker_id: str | None) -> str:
    """Return a worker id "<host>:<pid>:<hex>" as "pid <pid>", the part people can find."""
    if not worker_id:
        return "?"
    parts = worker_id.split(":")
    return f"pid {parts[-2]}" if len(parts) >= 3 else worker_id
