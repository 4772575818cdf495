"""The one place a ``device`` parameter becomes a torch device."""

import torch

# Device types that hold data and run kernels ('meta' holds only shapes).
_DATA_DEVICES = ("cpu", "cuda", "mps")


def resolve_device(device: str | torch.device) -> torch.device:
    """The torch device for a ``device`` parameter, or a ValueError saying why not.

    ``'auto'`` is CUDA when available, else the CPU. A bare ``'cuda'`` is spelled out
    as the current GPU, so it compares equal to the device of a tensor already there.

    Parameters
    ----------
    device : str or torch.device
        'auto', or anything ``torch.device`` accepts ('cpu', 'cuda', 'cuda:1').

    Returns
    -------
    device : torch.device

    Examples
    --------
    >>> from sknml.utils import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, str) and device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu', 'cuda' or "
            "'cuda:N'."
        ) from exc
    if resolved.type not in _DATA_DEVICES:
        raise ValueError(
            f"device={device!r} cannot run a network: use 'auto', 'cpu', 'cuda', "
            "'cuda:N' or 'mps'."
        )
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(
            f"device={device!r} was requested but MPS is not available here; "
            "use device='auto' or 'cpu'."
        )
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available here; "
                "use device='auto' or 'cpu'."
            )
        if resolved.index is None:
            resolved = torch.device("cuda", torch.cuda.current_device())
        elif resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s)."
            )
    return resolved
