"""Training cost by FLOP count: one micro-batch of each named recipe at 1024x768, counted on the meta device.

Usage: python bench/flops.py [--configs vtonlib dissertation-morefeatures] [--steps 26000]

Runs `Trainer.backward` (generator forward and backward, the discriminator on real and fake for both
updates, VGG and feature matching) on meta tensors under torch's FlopCounterMode: nothing is computed,
so it runs on any CPU in about a minute. The lazy gradient penalty (every `gp_every`-th step) is left
out of the count. Time on a T4 is then an estimate: FLOPs / (65 TFLOPS fp16 tensor-core peak x an
assumed utilisation of 20-40 %); `bench/gpu_check.py --part 2` measures the real thing on a GPU.
"""
import argparse, contextlib, sys, tempfile
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).parent))
import train_step                                   # noqa: F401  (gives the VGG loss random weights: nothing downloads)
from vtonlib.config import named_config
from vtonlib.train import Trainer

T4_PEAK = 65e12                                     # fp16 tensor-core FLOP/s
UTILISATION = (0.4, 0.2)                            # the range assumed for the estimate


def micro_batch_flops(name: str) -> float:
    "FLOPs of one micro-batch of the named config (penalty off), counted on meta tensors."
    cfg = named_config(name, device='meta', amp='off', lambda_gp=0, run_dir=tempfile.mkdtemp())
    shapes = dict(seg7=7, warped_cloth=3, warped_mask=1, img_agnostic=3, pose=3, img=3)
    item = {k: torch.zeros(c, *cfg.size) for k, c in shapes.items()}
    trainer = Trainer(cfg, dataset=[item])
    torch.autocast = torch.amp.autocast = lambda *a, **k: contextlib.nullcontext()   # no autocast on meta
    trainer._autocast = contextlib.nullcontext
    with FlopCounterMode(display=False) as counter:
        trainer.backward({k: v[None].to('meta') for k, v in item.items()})
    return counter.get_total_flops(), cfg.accum_steps


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--configs', nargs='+', default=['vtonlib', 'dissertation-morefeatures'])
    p.add_argument('--steps', type=int, default=26_000, help='optimizer steps of a full run')
    a = p.parse_args()
    print('| config | TFLOP / micro-batch | micro-batches / step | s / step on a T4 (est.) | '
          f'{a.steps:,} steps on a T4 (est.) |\n|---|---:|---:|---:|---:|')
    for name in a.configs:
        flops, accum = micro_batch_flops(name)
        secs = [flops * accum / (T4_PEAK * u) for u in UTILISATION]
        print(f'| {name} | {flops / 1e12:.2f} | {accum} | {secs[0]:.1f}-{secs[1]:.1f} | '
              f'{secs[0] * a.steps / 3600:.0f}-{secs[1] * a.steps / 3600:.0f} h |')


if __name__ == '__main__': main()
