"""What every result has in common: who computed it, where, how fast, and its rows."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["Result", "Row"]

# One table row: plain Python values only (str, int, float, bool, None), so CSV, JSON and
# st.dataframe all take it as it is.
Row = dict[str, str | int | float | bool | None]


@runtime_checkable
class Result(Protocol):
    model_name: str  # registry name of the model that produced it
    device: str  # e.g. "cpu", "cuda:0"
    elapsed_ms: float  # wall time of the model's work for this input (device synchronised)

    def rows(self) -> list[Row]:
        """The result as table rows (CSV/JSON downloads, page tables, the CLI)."""
        ...
