"""The one place that decides which torch device the core computes on."""

from __future__ import annotations

import os

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
