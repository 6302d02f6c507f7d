"""Training cost by FLOP count: one micro-batch of each named recipe at 1024x768, counted on the meta device.

Usage: python bench/flops.py [--configs vtonlib dissertation-morefeatures] [--steps 26000]

Runs `Trainer.backward` (generator forward and backward, the discriminator on real and fake for both
updates, VGG and feature matching) on meta tensors under torch's FlopCounterMode: nothing is computed,
so it runs on any CPU in about a minute. The lazy gradient penalty (every `gp_every`-th step) is left
out of the count. Time on a T4 is then an estimate: FLOPs / (65 TFLOPS fp16 tensor-core peak x an
assumed utilisation of 20-40 %); `bench/gpu_check.py --part 2` measures the real thing on a GPU.
"""
import argparse, contextlib, tempfile

import torch
from fastcore.xtras import modified_env
from torch.utils.flop_counter import FlopCounterMode

from vtonlib.config import named_config
from vtonlib.train import Trainer
from vtonlib.testing import write_standin_vgg19
from report import record

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
    rows, texts = {}, {}          # texts: the summary of a config -> the configs it describes
    with tempfile.TemporaryDirectory() as home, modified_env(TORCH_HOME=home):
        write_standin_vgg19()                       # the VGG loss's weights: stand-ins, nothing downloads
        counted = {name: micro_batch_flops(name) for name in a.configs}
    for name, (flops, accum) in counted.items():
        secs = [flops * accum / (T4_PEAK * u) for u in UTILISATION]
        print(f'| {name} | {flops / 1e12:.2f} | {accum} | {secs[0]:.1f}-{secs[1]:.1f} | '
              f'{secs[0] * a.steps / 3600:.0f}-{secs[1] * a.steps / 3600:.0f} h |')
        rows[name] = dict(tflop=flops / 1e12, accum=accum, t4_s_per_step=secs)
        texts.setdefault(f'{flops / 1e12:.2f} TFLOP a micro-batch, {flops * accum / 1e12:.1f} an optimizer step: '
                         f'**{secs[0]:.1f}-{secs[1]:.1f} s a step, {secs[0] * a.steps / 3600:.0f}-'
                         f'{secs[1] * a.steps / 3600:.0f} h for {a.steps:,} steps on a T4 (estimate)**', []).append(f'`{name}`')
    record('flops', '; '.join(' and '.join(names) + f': {text}' for text, names in texts.items()) +
           f' at {100 * UTILISATION[0]:.0f}-{100 * UTILISATION[1]:.0f} % of its {T4_PEAK / 1e12:.0f} TFLOPS fp16 peak',
           **rows, steps=a.steps)


if __name__ == '__main__': main()
