"""CPU seconds (this process and its children) and wall seconds of each code cell of a notebook, run as
`nbdev_test --flags slow` runs it (the `cuda` and `colab` cells skipped), with the totals of its fast and slow cells.

Usage: OMP_NUM_THREADS=1 VTON_HOME=$(mktemp -d) python bench/cell_cpu.py nbs/08c_train.ipynb
"""
import os, resource, sys, time
from pathlib import Path

from execnb.shell import CaptureShell
from fastcore.xtras import working_directory
from nbdev.frontmatter import FrontmatterProc
from nbdev.process import NBProcessor

def cpu() -> float:
    "CPU seconds used so far by this process and its finished children."
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime

def main(path: str):
    fn = Path(path).absolute()
    os.environ['IN_TEST'] = '1'
    sys.path.insert(0, str(fn.parent.parent))
    nb, shell, totals = NBProcessor(fn, procs=FrontmatterProc, process=True).nb, CaptureShell(fn), {'fast': 0.0, 'slow': 0.0}
    with working_directory(fn.parent):
        for cell in nb.cells:
            flags = set(getattr(cell, 'directives_', None) or {})
            if cell.cell_type != 'code' or flags & {'cuda', 'colab'}: continue
            c0, w0 = cpu(), time.time()
            shell.cell(cell)
            used, kind = cpu() - c0, 'slow' if 'slow' in flags else 'fast'
            totals[kind] += used
            print(f'{kind} cell {cell.get("id")}: {used:6.1f} s CPU, {time.time() - w0:6.1f} s wall  {cell.source.splitlines()[0][:60]}', flush=True)
            if shell.exc: sys.exit(f'{fn.name}: the cell failed\n' + shell.prettytb(fname=fn)[-3000:])
    print(f'{fn.name}: fast cells {totals["fast"]:.1f} s CPU, slow cells {totals["slow"]:.1f} s CPU')

if __name__ == '__main__': main(sys.argv[1])
