"""GPU checks. Part 1: 1024x768 try-on inference in fp32 and fp16 autocast. Part 2: 1024x768 training steps.

Usage: python bench/gpu_check.py [--part 1 2] [--batch 2] [--images 8] [--steps 3] [--amp fp16 bf16]
                                 [--grad-checkpoint off on] [--compile off on] [--size 1024x768] [--device cuda]
       python bench/gpu_check.py --part 2 --device cpu --size 128x96 --steps 1 --amp off --compile off \
                                 --set ngf=4 ndf=8 n_layers=3 num_upsampling_layers=normal accum_steps=1   # CPU smoke run

Part 1 prints images/s and peak GPU memory for each precision, and how far the fp16 results are from
fp32: end to end (Seg's arg-max may flip a few pixels, which moves everything after it) and for
ALIAS alone on identical fp32 conditions. fp32 means true fp32 (TF32 switched off). Generated weights.

Part 2 times optimizer steps (batch 1 x 4 accumulated micro-batches) of vtonlib's `Trainer` with
vtonlib's recipe (`vtonlib`) and with the dissertation's (`dissertation-morefeatures`), for each
precision (fp16 with GradScaler, as on a T4; bf16), with and without gradient checkpointing and
with and without `torch.compile` (compile with checkpointing is refused by the config, and says
so), then the dissertation's own loop (the copy in bench/train_step.py) in each precision: seconds
per optimizer step after one warm-up step (which also compiles), and peak GPU memory. The data are
synthetic persons, the VGG19 of the loss has random weights (nothing downloads; same cost).
"""
import argparse, gc, math, sys, tempfile, time
from pathlib import Path

import torch
from fastcore.xtras import modified_env

sys.path.insert(0, str(Path(__file__).parent))
from train_step import dissertation_steps        # the dissertation's loop
from vtonlib.core import VtonError, parse_size
from vtonlib.sample import make_sample_dataset
from vtonlib.dataset import VITONDataset, expand_batch
from vtonlib.networks import ALIASGenerator, GMM, SegGenerator
from vtonlib.pipeline import TryOnPipeline, alias_inputs
from vtonlib.conditions import ConditionDataset, precompute_conditions
from vtonlib.config import TrainConfig, load_config
from vtonlib.train import Trainer
from vtonlib.testing import fill_deterministic, write_standin_vgg19
from report import record

SIZE = (1024, 768)
DTYPES = {'fp16': torch.float16, 'bf16': torch.bfloat16, 'off': None}   # 'off': fp32, for CPU smoke runs


def timed(pipe, batch, amp, images, seed=0):
    "(outputs of the first call, images/s, peak MiB) of `images` images through the pipeline."
    torch.cuda.synchronize(); torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
    first = pipe(batch, amp=amp, generator=torch.Generator('cuda').manual_seed(seed))     # also the warm-up
    torch.cuda.synchronize()
    n = max(1, images // len(batch['img_name']))
    t = time.perf_counter()
    for _ in range(n): pipe(batch, amp=amp, generator=torch.Generator('cuda').manual_seed(seed))
    torch.cuda.synchronize()
    return first, n * len(batch['img_name']) / (time.perf_counter() - t), torch.cuda.max_memory_allocated() / 2 ** 20


def part1(batch_size=2, images=8) -> dict:
    "Inference at 1024x768: throughput, memory and fp16-vs-fp32 differences (printed and returned)."
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    pipe = TryOnPipeline(fill_deterministic(SegGenerator()), fill_deterministic(GMM()),
                         fill_deterministic(ALIASGenerator(9, 7, SIZE, 64, 'most')), SIZE).cuda()
    with tempfile.TemporaryDirectory() as d:
        root = make_sample_dataset(d, n=8, size=SIZE)
        ds = VITONDataset(root, 'test', pairs='test_pairs_unpaired.txt', size=SIZE, paired=False)
        batch = torch.utils.data.default_collate([ds[i % len(ds)] for i in range(batch_size)])
    print(f'part 1: try-on inference {SIZE[0]}x{SIZE[1]}, batch {batch_size}, {torch.cuda.get_device_name()}, '
          f'torch {torch.__version__}, generated weights (official Seg, GMM, ALIAS ngf 64 most)')
    out32, ips32, mem32 = timed(pipe, batch, False, images)
    out16, ips16, mem16 = timed(pipe, batch, torch.float16, images)
    print(f'{"":26}{"fp32":>12}{"fp16 autocast":>16}{"ratio":>9}')
    print(f'{"images/s":26}{ips32:>12.2f}{ips16:>16.2f}{ips16 / ips32:>8.2f}x')
    print(f'{"peak GPU memory (MiB)":26}{mem32:>12.0f}{mem16:>16.0f}{mem16 / mem32:>8.2f}x')
    diff = (out32['output'] - out16['output']).abs()
    flips = (out32['seg7'].argmax(1) != out16['seg7'].argmax(1)).float().mean().item()
    print(f'end to end fp16 vs fp32: output max |diff| {diff.max().item():.4f}, mean {diff.mean().item():.5f} '
          f'(images in [-1, 1]); parse pixels that differ {100 * flips:.3f} %; warped cloth max |diff| '
          f'{(out32["warped_cloth"] - out16["warped_cloth"]).abs().max().item():.4f}')
    b = expand_batch(batch, 'cuda')
    x, seg7, seg_div, mis = alias_inputs(out32['seg7'], out32['warped_cloth'], out32['warped_mask'],
                                         b['img_agnostic'], b['pose'])
    with torch.inference_mode():
        a32 = pipe.alias(x, seg7, seg_div, mis)
        with torch.autocast('cuda', dtype=torch.float16): a16 = pipe.alias(x, seg7, seg_div, mis).float()
    d = (a32 - a16).abs()
    print(f'ALIAS alone on the same fp32 conditions: max |diff| {d.max().item():.4f}, mean {d.mean().item():.5f}')
    return dict(images_per_s=dict(fp32=ips32, fp16=ips16), peak_mib=dict(fp32=mem32, fp16=mem16),
                max_diff=diff.max().item(), parse_flips=flips, alias_max_diff=d.max().item())


def timed_steps(steps, run, device) -> tuple[float, float]:
    "(seconds per optimizer step, peak GPU MiB) of `steps` steps of the generator `run`, after its first (warm-up) step."
    next(run)
    if device.type == 'cuda': torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
    t = time.perf_counter()
    for _ in range(steps): next(run)
    if device.type == 'cuda': torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() / 2 ** 20 if device.type == 'cuda' else float('nan')
    return (time.perf_counter() - t) / steps, peak


def trainer_steps(cfg, dataset):
    "vtonlib's Trainer on `dataset`, endless optimizer steps; yields after each."
    t = Trainer(cfg, dataset)
    while True: t.train_step(); t.step += 1; yield


def part2(size, device, amps, checkpoints, compiles, steps, overrides) -> list:
    "Training steps at `size` on `device`: vtonlib's Trainer with both recipes, and the dissertation's own loop (rows printed and returned)."
    device = torch.device(device)
    with tempfile.TemporaryDirectory() as d, modified_env(TORCH_HOME=f'{d}/torch'):
        write_standin_vgg19()                      # the VGG19 of the loss: stand-in weights, nothing downloads
        root = make_sample_dataset(f'{d}/data', n=4, size=size)
        data = VITONDataset(root, 'train', size=size)
        cond = precompute_conditions(data, f'{d}/cond', 'gt', gmm=fill_deterministic(GMM()), device=device)
        dataset = ConditionDataset(data, cond)
        name = torch.cuda.get_device_name() if device.type == 'cuda' else f'CPU, {torch.get_num_threads()} threads'
        base = [f'data_root={root}', f'cond_dir={cond}', f'run_dir={d}/run', f'size=[{size[0]}, {size[1]}]',
                f'device={device}', 'num_workers=0', 'batch_size=1', 'accum_steps=4']
        configs = {r: load_config(r, [*base, *overrides]).to_dict() for r in ('vtonlib', 'dissertation-morefeatures')}
        accum = configs['vtonlib']['accum_steps']
        print(f'part 2: training steps {size[0]}x{size[1]}, batch 1 x {accum} accumulated, {name}, torch {torch.__version__}, '
              f'mean of {steps} optimizer steps after a warm-up step; {" ".join(overrides) or "full-size networks"}')
        print('| loop | recipe | precision | grad checkpoint | compile | s / optimizer step | peak GPU MiB |')
        print('|---|---|---|---|---|---:|---:|')
        rows = []
        cases = [(recipe, amp, ckpt, comp) for recipe in ('vtonlib', 'dissertation-morefeatures') for amp in amps
                 for ckpt in checkpoints for comp in compiles] + [('loop', amp, False, False) for amp in amps]
        for recipe, amp, ckpt, comp in cases:
            label = ('Trainer', recipe) if recipe != 'loop' else ('dissertation loop', 'dissertation-morefeatures')
            precision = {'fp16': 'fp16 + GradScaler', 'bf16': 'bf16', 'off': 'fp32'}[amp]
            row = f'| {label[0]} | {label[1]} | {precision} | {ckpt} | {comp} |'
            rows.append(dict(loop=label[0], recipe=label[1], precision=precision, grad_checkpoint=ckpt, compile=comp))
            try:
                cfg = TrainConfig.from_dict({**configs[label[1]], 'amp': amp, 'grad_checkpoint': ckpt, 'compile': comp})
                run = trainer_steps(cfg, dataset) if recipe != 'loop' else \
                    dissertation_steps(cfg, steps + 1, device.type, DTYPES[amp])
                seconds, peak = timed_steps(steps, run, device)
                print(f'{row} {seconds:.3f} | {"n/a" if math.isnan(peak) else f"{peak:.0f}"} |', flush=True)
                rows[-1].update(s_per_step=seconds, peak_mib=peak)
            except VtonError as e: print(f'{row} refused: {e} | |', flush=True); rows[-1]['failed'] = 'refused'
            except torch.cuda.OutOfMemoryError:
                print(f'{row} out of memory | |', flush=True); rows[-1]['failed'] = 'out of memory'
            run = None; gc.collect()
            if device.type == 'cuda': torch.cuda.empty_cache()
    return rows


def summary(inference, training) -> str:
    "The README's text of a GPU run: inference fp32 vs fp16, then seconds and peak memory of each training case."
    text = []
    if inference:
        ips, mem = inference['images_per_s'], inference['peak_mib']
        text.append(f'inference: {ips["fp16"]:.2f} vs {ips["fp32"]:.2f} images/s fp16 vs fp32 (**{ips["fp16"] / ips["fp32"]:.2f}x**), '
                    f'peak {mem["fp16"]:.0f} vs {mem["fp32"]:.0f} MiB, max difference {inference["max_diff"]:.3f} '
                    f'(ALIAS alone {inference["alias_max_diff"]:.3f})')
    for r in training or []:
        case = (f'{r["loop"]} `{r["recipe"]}` {r["precision"]}' + ', checkpointing' * r['grad_checkpoint']
                + ', compiled' * r['compile'])
        text.append(f'{case}: ' + (r.get('failed') or f'**{r["s_per_step"]:.2f} s** a step, {r["peak_mib"]:.0f} MiB'))
    return '; '.join(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--part', type=int, nargs='+', default=[1, 2], choices=[1, 2])
    ap.add_argument('--batch', type=int, default=2, help='part 1: images per batch')
    ap.add_argument('--images', type=int, default=8, help='part 1: images timed')
    ap.add_argument('--steps', type=int, default=3, help='part 2: optimizer steps timed')
    ap.add_argument('--amp', nargs='+', default=['fp16', 'bf16'], choices=list(DTYPES))
    ap.add_argument('--grad-checkpoint', nargs='+', default=['off', 'on'], choices=['off', 'on'])
    ap.add_argument('--compile', nargs='+', default=['off', 'on'], choices=['off', 'on'])
    ap.add_argument('--size', type=parse_size, default=SIZE, help='part 2: HEIGHTxWIDTH')
    ap.add_argument('--device', default='cuda', help="part 2: 'cuda' or 'cpu'")
    ap.add_argument('--set', nargs='*', default=[], metavar='KEY=VALUE', help='part 2: config changes, e.g. ngf=4')
    args = ap.parse_args()
    if (1 in args.part or args.device.startswith('cuda')) and not torch.cuda.is_available():
        raise SystemExit('gpu_check needs a CUDA GPU (part 2 runs on the CPU with --part 2 --device cpu)')
    inference = part1(args.batch, args.images) if 1 in args.part else None
    on = lambda flags: [f == 'on' for f in flags]
    training = part2(args.size, args.device, args.amp, on(args.grad_checkpoint), on(args.compile), args.steps,
                     args.set) if 2 in args.part else None
    if 2 not in args.part or args.device.startswith('cuda'):   # a record of GPU runs only (the CPU smoke run is a test)
        record('gpu_check', summary(inference, training), inference=inference, training=training)


if __name__ == '__main__':
    main()
