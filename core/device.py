"""The one place that decides which torch device the core computes on."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch

#: Environment variable that forces a device ("cpu", "cuda", "cuda:1", "mps").
DEVICE_ENV = "ATLAS_DEVICE"


def pick_device(prefer: str | None = None) -> torch.device:
    """Return the device to compute on: ``prefer``, else $ATLAS_DEVICE, else cuda > mps > cpu.

    Parameters
    ----------
    prefer
        An explicit device string; ``None`` or ``"auto"`` means choose automatically.

    Returns
    -------
    torch.device

    Examples
    --------
    >>> pick_device("cpu")
    device(type='cpu')
    """
    choice = prefer if prefer not in (None, "", "auto") else os.environ.get(DEVICE_ENV, "auto")
    if choice and choice != "auto":
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe(device: torch.device) -> str:
    """A short human-readable name of ``device`` for reports and the UI.

    Parameters
    ----------
    device
        A torch device (e.g. from :func:`pick_device`).

    Returns
    -------
    str
        E.g. ``"CPU (8 threads)"``, ``"GPU (NVIDIA H200)"`` or ``"Apple GPU (mps)"``.
    """
    if device.type == "cuda":
        return f"GPU ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "Apple GPU (mps)"
    return f"CPU ({torch.get_num_threads()} threads)"


_serial = threading.local()  # per thread: open blocks and the thread count to restore


@contextmanager
def serial_cpu(device: torch.device) -> Iterator[None]:
    """Run the block's torch CPU ops on one thread (nothing changes on a GPU).

    Many small ops (k-means over a few thousand items: a few MFLOP each) gain nothing from
    intra-op threads and lose much to them on a busy machine, where every op waits for its
    slowest thread (k-means for 2,000 items: 3 s on one thread, 30+ s on two threads of two
    loaded cores). The thread count is the calling thread's (OpenMP keeps one per thread, so
    other threads, e.g. another dashboard session training a model, keep theirs); it is restored
    when the outermost block of this thread leaves.

    Parameters
    ----------
    device
        The device the block computes on.

    Yields
    ------
    None
        Control to the block, with one intra-op thread when ``device`` is the CPU.
    """
    if device.type != "cpu":
        yield
        return
    depth = getattr(_serial, "depth", 0)
    if depth == 0:
        _serial.saved = torch.get_num_threads()
        torch.set_num_threads(1)
    _serial.depth = depth + 1
    try:
        yield
    finally:
        _serial.depth -= 1
        if _serial.depth == 0:
            torch.set_num_threads(_serial.saved)
