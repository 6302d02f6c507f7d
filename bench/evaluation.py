"""Expected time of `colab.evaluate_generators` per generator on a Colab T4: FLOPs counted, CPU measured.

Usage: python bench/evaluation.py [--persons 2032] [--items 6]

GPU side, counted on the meta device (nothing computed): Seg (at 256x192), the GMM's regression, ALIAS
ngf 64 'most' at 1024x768 per try-on (the TPS grid and the warp add well under 1 GFLOP); Inception-v3 at 299x299 on each real and fake photo (FID)
and AlexNet's features on each pair at 1024x768 (LPIPS). Time on a T4 is an estimate: FLOPs / (peak x an
assumed utilisation of 20-40 %), the try-on in fp16 (65 TFLOPS tensor-core peak), the metrics in fp32
(8.1 TFLOPS). CPU side, measured here on the real sample persons at 1024x768 (`VTON_SAMPLES`, 1 thread):
a test item as `tryon`'s loader workers make it, a result saved as JPEG, and the metrics' per-pair CPU work
(two JPEGs decoded, scikit-image SSIM). A free Colab VM has 2 vCPUs (usually two hyperthreads of one
core): the estimate spreads the loader's work over them at 1.3x one core, and runs the rest serially.
"""
import argparse, os, sys, time
from pathlib import Path

import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode

from vtonlib.dataset import VITONDataset
from vtonlib.metrics import images_to_tensor, ssim_score
from vtonlib.core import read_image
from vtonlib.pipeline import save_result
from vtonlib.pretrained import build_network
from report import record

T4 = {'fp16': 65e12, 'fp32': 8.1e12}      # FLOP/s peaks
UTILISATION = (0.4, 0.2)                   # the range assumed
TWO_VCPUS = 1.3                            # two hyperthreads of one core, in cores


def flops(fn, *args) -> float:
    "FLOPs of `fn(*args)` on meta tensors."
    with FlopCounterMode(display=False) as counter, torch.no_grad(): fn(*args)
    return counter.get_total_flops()


def gpu_flops(size=(1024, 768)) -> dict:
    "FLOPs per test person of the try-on and of the metrics' networks."
    meta = lambda *s: torch.zeros(*s, device='meta')
    with torch.device('meta'):
        seg, gmm, alias = build_network('seg'), build_network('gmm'), build_network('alias', size=size)
        inception = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False).eval()
        alex = torchvision.models.alexnet(weights=None).features
    return {'try-on (fp16)': flops(seg, meta(1, 21, 256, 192)) + flops(gmm.regress, meta(1, 7, 256, 192), meta(1, 3, 256, 192))
                             + flops(alias, meta(1, 9, *size), meta(1, 7, *size), meta(1, 8, *size), meta(1, 1, *size)),
            'metrics (fp32)': 2 * flops(inception, meta(1, 3, 299, 299)) + 2 * flops(alex, meta(1, 3, *size))}


def cpu_seconds(fn, n: int) -> float:
    "CPU seconds per call of `fn(i)`, over `n` calls."
    start = time.process_time()
    for i in range(n): fn(i)
    return (time.process_time() - start) / n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--persons', type=int, default=2032, help='test persons per generator')
    ap.add_argument('--items', type=int, default=6, help='sample items timed')
    a = ap.parse_args()
    torch.set_num_threads(1)
    samples = Path(os.environ.get('VTON_SAMPLES', '../shared/samples/viton-hd'))
    if not samples.is_dir(): sys.exit(f'set VTON_SAMPLES to the real sample persons (not found: {samples})')
    data = VITONDataset(samples, 'test', 'test_pairs_unpaired.txt', size=(1024, 768), paired=False)   # persons with keypoints
    n = min(a.items, len(data))
    photos = sorted((samples / 'test' / 'image').glob('*.jpg'))
    out = Path(os.environ.get('TMPDIR', '/tmp')) / 'bench-evaluation.jpg'
    image = torch.rand(3, 1024, 768) * 2 - 1
    def metrics_cpu(i):
        real, fake = (read_image(photos[(i + k) % len(photos)]) for k in (0, 1))
        ssim_score(images_to_tensor([real]), images_to_tensor([fake]))
    cpu = {'a test item (loader worker)': cpu_seconds(lambda i: data[i % n], n),
           'a result saved as JPEG (main process)': cpu_seconds(lambda i: save_result(image, out), n),
           'a pair decoded and SSIM (main process)': cpu_seconds(metrics_cpu, n)}
    out.unlink(missing_ok=True)
    gpu = gpu_flops()
    print('per test person at 1024x768 (CPU measured here, 1 thread; GPU counted):')
    for k, v in cpu.items(): print(f'  CPU  {k:40} {v * 1000:7.0f} ms')
    for k, v in gpu.items(): print(f'  GPU  {k:40} {v / 1e9:7.0f} GFLOP')
    p = a.persons
    t4 = {k: [v * p / (T4[k.split('(')[1][:4]] * u) for u in UTILISATION] for k, v in gpu.items()}
    loader = cpu['a test item (loader worker)'] * p / TWO_VCPUS
    saving, scoring = cpu['a result saved as JPEG (main process)'] * p, cpu['a pair decoded and SSIM (main process)'] * p
    low = max(t4['try-on (fp16)'][0], loader, saving) + t4['metrics (fp32)'][0] + scoring
    high = max(t4['try-on (fp16)'][1], loader + saving / TWO_VCPUS) + t4['metrics (fp32)'][1] + scoring
    print(f'{p} persons on a T4 (estimate): try-on GPU {t4["try-on (fp16)"][0] / 60:.1f}-{t4["try-on (fp16)"][1] / 60:.1f} min, '
          f'its loader {loader / 60:.1f} min of the 2 vCPUs, saving {saving / 60:.1f} min; metrics GPU '
          f'{t4["metrics (fp32)"][0] / 60:.1f}-{t4["metrics (fp32)"][1] / 60:.1f} min, their CPU {scoring / 60:.1f} min')
    print(f'per generator: about {low / 60:.0f}-{high / 60:.0f} min')
    ms = {k.split(' (')[0]: 1e3 * v for k, v in cpu.items()}
    record('evaluation', f'try-on {gpu["try-on (fp16)"] / 1e12:.1f} TFLOP a person, metrics\' networks '
           f'{gpu["metrics (fp32)"] / 1e9:.0f} GFLOP; CPU {ms["a test item"]:.0f} ms a test item (loader), '
           f'{ms["a result saved as JPEG"]:.0f} ms a saved result, {ms["a pair decoded and SSIM"]:.0f} ms a scored pair '
           f'(decoding, SSIM): **{low / 60:.0f}-{high / 60:.0f} min per generator on a T4 (estimate)**',
           cpu_ms=ms, gflop={k: v / 1e9 for k, v in gpu.items()}, t4_s=t4, minutes=(low / 60, high / 60), persons=p)


if __name__ == '__main__': main()
