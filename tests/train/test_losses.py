from __future__ import annotations

import os
import socket

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from mammofm.train.losses import ClipLoss, multi_positive_ce


def test_single_positive_is_standard_cross_entropy():
    torch.manual_seed(0)
    logits = torch.randn(5, 5)
    assert torch.allclose(multi_positive_ce(logits, torch.eye(5, dtype=torch.bool)),
                          F.cross_entropy(logits, torch.arange(5)))


def test_multi_positive_matches_a_hand_computation():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(4, 3))
    pos = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]], dtype=bool)
    want = []
    for i in range(4):
        if pos[i].any():
            logp = logits[i] - np.log(np.exp(logits[i]).sum())
            want.append(-logp[pos[i]].mean())
    got = multi_positive_ce(torch.tensor(logits), torch.tensor(pos))
    assert got.item() == pytest.approx(float(np.mean(want)), rel=1e-6)


def _batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    img = F.normalize(torch.randn(6, 8, generator=g), dim=-1)
    txt = F.normalize(torch.randn(3, 8, generator=g), dim=-1)
    txt2 = F.normalize(txt + 0.1 * torch.randn(3, 8, generator=g), dim=-1)
    return img, torch.tensor([0, 0, 1, 1, 2, 2]), txt, torch.tensor([0, 1, 2]), txt2


def test_named_terms_and_that_aligned_pairs_score_lower():
    img, gi, txt, gt, txt2 = _batch()
    loss = ClipLoss()
    out = loss(img, gi, txt, gt, torch.tensor(10.0), txt2)
    assert set(out) == {"contrastive_loss", "image_image_loss", "text_text_loss", "loss"}
    assert out["loss"].item() == pytest.approx(sum(out[k].item() for k in out if k != "loss"))
    aligned = F.normalize(txt[gi] + 0.05 * torch.randn(6, 8), dim=-1)  # images near their text
    good = loss(aligned, gi, txt, gt, torch.tensor(10.0), txt2)
    assert good["contrastive_loss"] < out["contrastive_loss"]
    assert good["image_image_loss"] < out["image_image_loss"]
    off = ClipLoss(image_image_weight=0.0, text_text_weight=0.0)(img, gi, txt, gt,
                                                                 torch.tensor(10.0), txt2)
    assert set(off) == {"contrastive_loss", "loss"}


def _worker(rank: int, port: int, queue) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=2)
    torch.set_num_threads(1)
    img, gi, txt, gt, txt2 = _batch()
    # rank 0 holds breast 0 (2 views) + breast 1 (2 views); rank 1 holds breast 2 (2 views):
    # unequal row counts exercise the padding of the gather
    rows = [slice(0, 4), slice(4, 6)][rank]
    trows = [slice(0, 2), slice(2, 3)][rank]
    li = img[rows].clone().requires_grad_()
    lt = txt[trows].clone().requires_grad_()
    out = ClipLoss()(li, gi[rows], lt, gt[trows], torch.tensor(10.0), txt2[trows])
    out["loss"].backward()
    queue.put((rank, out["loss"].item(), li.grad.numpy().copy(), lt.grad.numpy().copy()))
    dist.barrier()
    dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_distributed_gather_matches_one_process():
    img, gi, txt, gt, txt2 = _batch()
    i1, t1 = img.clone().requires_grad_(), txt.clone().requires_grad_()
    ref = ClipLoss()(i1, gi, t1, gt, torch.tensor(10.0), txt2)
    ref["loss"].backward()
    ctx = mp.get_context("fork")  # the workers reuse the imports of this process
    queue = ctx.Queue()
    port = _free_port()
    procs = [ctx.Process(target=_worker, args=(r, port, queue)) for r in range(2)]
    for p in procs:
        p.start()
    got = [queue.get(timeout=120) for _ in procs]
    results = {r: (l, torch.from_numpy(a), torch.from_numpy(b)) for r, l, a, b in got}
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    for r in (0, 1):
        assert results[r][0] == pytest.approx(ref["loss"].item(), rel=1e-5)
    # each rank gets the gradient of the full-batch loss for its own rows
    assert torch.allclose(torch.cat([results[0][1], results[1][1]]), i1.grad, atol=1e-5)
    # the text-text term's second view has no grad here, so text grads compare directly too
    assert torch.allclose(torch.cat([results[0][2], results[1][2]]), t1.grad, atol=1e-5)
