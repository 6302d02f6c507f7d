"""The frozen stage over a whole dataset on a Colab T4 VM: the condition step (11,647 training pairs) and evaluation try-on (2,032 test pairs a generator).

Usage: VTON_SAMPLES=/path/to/samples/viton-hd OMP_NUM_THREADS=1 python bench/conditions.py [--workers 2] [--batch 8]

Measured here, at 1024x768 on the real samples (their 6 persons of the unpaired list, each in each of the 13
clothes: 78 pairs), through `precompute_conditions` as `training_set` calls it: the CPU of the loader's worker
processes (`resource.getrusage` of the joined children) and of the main process apart from the device work
(loading the batches from the workers, storing each pair's parse and TPS parameters, the packs). The device part
(Seg, GMM and the full-size blur and arg-max of Seg's output) is timed apart on this CPU, with small stand-in
networks (only the host side is measured with them), and estimated for a T4 from the FLOPs of the official
architectures (counted with torch's FlopCounterMode) at 20-40 % of its fp32 peak (the condition step runs in fp32,
as the official inference), plus the bytes that its other, memory-bound operations (resizing, blur, arg-max,
one-hots, normalisations) write, each read back once, at the T4's memory bandwidth. Try-on
loads the same fields per pair; its writing (a JPEG of quality 75 a result) is measured, and its device part adds
ALIAS in fp16 (13_colab_eval runs with amp=True) at 20-40 % of the T4's fp16 peak.

A 2-vCPU Colab VM has two hyperthreads of one core: the CPU-bound time is given for 1 to 2 cores' worth of this
machine's CPU seconds. Steps overlap (workers load while the main process drives the device), so each estimate is
the larger of the CPU-bound and the device-bound time.
"""
import argparse, os, resource, sys, tempfile, time
from pathlib import Path

import torch
from torch import nn
from torch.utils._pytree import tree_flatten
from torch.utils.flop_counter import FlopCounterMode, flop_registry
from torch.utils._python_dispatch import TorchDispatchMode

from vtonlib.core import pack_folder, unpack_folder
from vtonlib.data import read_pairs
from vtonlib.dataset import VITONDataset
from vtonlib.networks import ALIASGenerator, GMM, SegGenerator
from vtonlib.pipeline import PIPELINE_FIELDS, TryOnPipeline, save_result
import vtonlib.conditions
from vtonlib.conditions import PACK_EVERY, precompute_conditions
from vtonlib.testing import fill_deterministic
from report import record

T4 = dict(fp32=8.1e12, fp16=65e12, bandwidth=320e9)     # FLOP/s peaks and bytes/s of a T4
UTILISATION = (0.4, 0.2)                                 # the range assumed for the estimate
TRAIN_PAIRS, TEST_PAIRS = 11_647, 2_032


MATRIX_OPS = {*flop_registry, torch.ops.aten.conv2d, torch.ops.aten.linear, torch.ops.aten.matmul}   # in the FLOP count

class WrittenBytes(TorchDispatchMode):
    "Counts the bytes written by the operations inside that are neither in the FLOP count nor views (the memory-bound ones)."
    def __init__(self): super().__init__(); self.bytes = 0
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func.overloadpacket not in MATRIX_OPS and not any(r.alias_info is not None for r in func._schema.returns):
            self.bytes += sum(t.nbytes for t in tree_flatten(out)[0] if torch.is_tensor(t))
        return out


def cpu_seconds() -> tuple[float, float]:
    "CPU seconds (user + system) of this process and of its waited-for children."
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def device_cost(fn, size) -> tuple[float, float]:
    "(FLOPs, bytes written) of `fn()` for one pair at `size`, run on the CPU."
    with torch.inference_mode(), FlopCounterMode(display=False) as flops, WrittenBytes() as written: fn()
    return flops.get_total_flops(), written.bytes


def t4_seconds(flops: float, nbytes: float, precision: str) -> tuple[float, float]:
    "(best, worst) seconds on a T4: FLOPs at 40-20 % of its peak in `precision`, plus the other operations' bytes written and read back once."
    nbytes *= 0.5 if precision == 'fp16' else 1                    # counted in fp32
    return tuple(flops / (T4[precision] * u) + 2 * nbytes / T4['bandwidth'] for u in UTILISATION)


def minutes(seconds) -> str: return '-'.join(f'{s / 60:.1f}' for s in seconds) + ' min'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--batch', type=int, default=8)
    args = ap.parse_args()
    samples = os.environ.get('VTON_SAMPLES')
    if not samples or not Path(samples).is_dir(): sys.exit('set VTON_SAMPLES to the real VITON-HD samples folder')
    torch.set_num_threads(1)
    size, samples = (1024, 768), Path(samples)
    persons = sorted({p for p, _ in read_pairs(samples / 'test_pairs_unpaired.txt')})
    clothes = sorted(p.name for p in (samples / 'test' / 'cloth').iterdir())
    data = VITONDataset(samples, 'test', pairs=[(p, c) for p in persons for c in clothes], size=size, paired=False)
    n = len(data)

    # the host side of the condition step: stand-in networks, the device work timed apart
    seg = nn.Sequential(nn.Conv2d(21, 13, 3, padding=1), nn.Sigmoid())
    gmm = fill_deterministic(GMM(7, 3, (256, 256), 5))
    device_time, on_device = [0.0], vtonlib.conditions._batch_conditions
    def timed(*a, **k):
        start = time.thread_time(); out = on_device(*a, **k); device_time[0] += time.thread_time() - start
        return out
    vtonlib.conditions._batch_conditions = timed                          # a batch's work on the device, timed apart
    with tempfile.TemporaryDirectory() as d:
        (main0, kids0), wall = cpu_seconds(), time.perf_counter()
        precompute_conditions(data, f'{d}/cond', 'seg', seg=seg, gmm=gmm, batch_size=args.batch, num_workers=args.workers)
        (main1, kids1), wall = cpu_seconds(), time.perf_counter() - wall
        files = sum(1 for p in Path(d, 'cond').rglob('*') if p.is_file())
        start = time.process_time(); pack_folder(f'{d}/cond', f'{d}/keep', 'key'); packing = time.process_time() - start
        start = time.process_time(); unpack_folder(f'{d}/keep', f'{d}/vm', 'key'); restoring = time.process_time() - start
        result = torch.rand(3, *size) * 2 - 1
        start = time.process_time()
        for i in range(8): save_result(result, Path(d, 'results', f'{i}.jpg'))
        jpeg = (time.process_time() - start) / 8
    vtonlib.conditions._batch_conditions = on_device
    workers, host = (kids1 - kids0) / n, (main1 - main0 - device_time[0]) / n
    cpu = workers + host

    # the device side: the official architectures (generated weights), one pair at 1024x768
    batch = torch.utils.data.default_collate([data.only(*PIPELINE_FIELDS['seg'])[0]])
    official = TryOnPipeline(fill_deterministic(SegGenerator()), fill_deterministic(GMM()), None, size)
    cond_flops, cond_bytes = device_cost(lambda: official.conditions(batch, warp=False), size)
    with torch.device('meta'):
        alias = ALIASGenerator(9, 7, size, 64, 'most')
        inputs = [torch.zeros(1, c, *size) for c in (9, 7, 8, 1)]
        alias_flops, alias_bytes = device_cost(lambda: alias(*inputs), size)
    warp_flops, warp_bytes = device_cost(lambda: official.conditions(batch), size)   # try-on warps the cloth too

    cond_gpu = t4_seconds(cond_flops, cond_bytes, 'fp32')
    tryon_gpu = tuple(a + b for a, b in zip(t4_seconds(warp_flops, warp_bytes, 'fp16'), t4_seconds(alias_flops, alias_bytes, 'fp16')))
    step_cpu, tryon_cpu = (cpu * TRAIN_PAIRS / 2, cpu * TRAIN_PAIRS), ((workers + jpeg) * TEST_PAIRS / 2, (workers + jpeg) * TEST_PAIRS)
    kept, restore = (t / files * 2 * TRAIN_PAIRS for t in (packing, restoring))
    step = tuple(max(c, g * TRAIN_PAIRS) + kept for c, g in zip(step_cpu, cond_gpu))
    tryon = tuple(max(c, g * TEST_PAIRS) for c, g in zip(tryon_cpu, tryon_gpu))

    print(f'condition step at {size[0]}x{size[1]}: {n} real pairs, {args.workers} workers, batches of {args.batch}, '
          f'CPU seconds by getrusage (self + children); {wall:.0f} s of wall time here')
    print(f'  CPU per pair: loading (workers) {1e3 * workers:.1f} ms + storing and the rest of the main process '
          f'{1e3 * host:.1f} ms = {1e3 * cpu:.1f} ms  (device work on this CPU, not counted: {1e3 * device_time[0] / n:.0f} ms)')
    print(f'  device per pair (official Seg + GMM, fp32): {cond_flops / 1e9:.0f} GFLOP, {cond_bytes / 1e6:.0f} MB written '
          f'-> {1e3 * cond_gpu[0]:.0f}-{1e3 * cond_gpu[1]:.0f} ms on a T4 (estimate)')
    print(f'  packs: packing {1e3 * packing / files:.2f} ms a file, restoring {1e3 * restoring / files:.2f} ms '
          f'(a new VM restores the {TRAIN_PAIRS:,} pairs in {restore / 60:.1f} min of CPU)')
    print(f'  {TRAIN_PAIRS:,} pairs on a 2-vCPU T4 VM: CPU-bound {minutes(step_cpu)}, device-bound '
          f'{minutes([g * TRAIN_PAIRS for g in cond_gpu])}, packs {kept / 60:.1f} min -> estimate {minutes(step)}')
    print(f'evaluation try-on at {size[0]}x{size[1]}: CPU per image: loading {1e3 * workers:.1f} ms (the same fields) + '
          f'writing the JPEG {1e3 * jpeg:.1f} ms; device (Seg + GMM + warp + ALIAS ngf 64, fp16): '
          f'{(warp_flops + alias_flops) / 1e12:.2f} TFLOP, {(warp_bytes + alias_bytes) / 1e6:.0f} MB written -> '
          f'{1e3 * tryon_gpu[0]:.0f}-{1e3 * tryon_gpu[1]:.0f} ms on a T4 (estimate)')
    print(f'  {TEST_PAIRS:,} test pairs per generator on a 2-vCPU T4 VM: CPU-bound {minutes(tryon_cpu)}, device-bound '
          f'{minutes([g * TEST_PAIRS for g in tryon_gpu])} -> estimate {minutes(tryon)}')
    record('conditions', f'{1e3 * cpu:.0f} ms of CPU a pair (loading {1e3 * workers:.0f} in the workers, storing '
           f'{1e3 * host:.0f}); {cond_flops / 1e9:.0f} GFLOP a pair on the device, {1e3 * cond_gpu[0]:.0f}-'
           f'{1e3 * cond_gpu[1]:.0f} ms on a T4 in fp32; **{TRAIN_PAIRS:,} pairs in {minutes(step)} on a 2-vCPU T4 VM '
           f'(estimate)**, packed every {PACK_EVERY[0]:,} pairs or {PACK_EVERY[1] / 60:.0f} minutes, so a disconnect '
           f'loses at most that. Evaluation try-on: **{minutes(tryon)} a generator** for the {TEST_PAIRS:,} test pairs '
           '(estimate)', pairs=n, workers_ms=1e3 * workers, host_ms=1e3 * host, device_ms_here=1e3 * device_time[0] / n,
           condition_gflop=cond_flops / 1e9, condition_t4_s=cond_gpu, tryon_tflop=(warp_flops + alias_flops) / 1e12,
           tryon_t4_s=tryon_gpu, jpeg_ms=1e3 * jpeg, condition_step_s=step, tryon_s=tryon, precompute_wall_s=wall)


if __name__ == '__main__': main()
