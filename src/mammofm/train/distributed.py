"""Gather embeddings across processes, keeping the gradient of the local slice.

``torch.distributed.all_gather`` returns tensors without autograd history; we put the local
tensor (with its history) back in its slot, so each process back-propagates through its own
samples while seeing everyone's as negatives (open_clip's approach). Ranks may hold different
numbers of rows (a breast with one view): rows are padded to the largest count and trimmed.

Also: forked training processes run torch single-threaded (``fork_safe_threads``).
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist

_FORK_HOOK = False


def _one_thread_in_child() -> None:
    torch.set_num_threads(1)


def fork_safe_threads() -> None:
    """Make every process forked from now on run torch on one thread.

    A process forked after its parent has used torch's OpenMP thread pool hangs in its first
    parallel operation (GNU libgomp is not fork-safe; DataLoader workers set one thread for the
    same reason). Fork-based strategies ("ddp_fork", "ddp_notebook") fork the training
    processes, so without this a CPU run hangs whenever anything multi-threaded ran before it
    in the same interpreter. On CPU the processes share the cores, so one thread each is also
    the right count. Idempotent."""
    global _FORK_HOOK
    if not _FORK_HOOK and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_one_thread_in_child)
        _FORK_HOOK = True


def world() -> tuple[int, int]:
    """(rank, world size); (0, 1) when not running distributed."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def gather_rows(x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Concatenate ``x`` (N_r, ...) from every rank in rank order -> (sum N_r, ...), and the
    offset of this rank's rows. Only this rank's rows carry gradient."""
    rank, size = world()
    if size == 1:
        return x, 0
    n = torch.tensor([x.shape[0]], device=x.device, dtype=torch.long)
    counts = [torch.zeros_like(n) for _ in range(size)]
    dist.all_gather(counts, n)
    counts_i = [int(c.item()) for c in counts]
    top = max(counts_i)
    padded = x.new_zeros((top, *x.shape[1:]))
    padded[: x.shape[0]] = x.detach()
    bufs = [torch.empty_like(padded) for _ in range(size)]
    dist.all_gather(bufs, padded.contiguous())
    pieces = [b[:c] for b, c in zip(bufs, counts_i)]
    pieces[rank] = x
    return torch.cat(pieces, 0), sum(counts_i[:rank])
